"""The printed directory booklet: the live listings of an area on A5 pages."""
