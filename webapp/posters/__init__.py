"""QR outreach posters, cards and stickers in every shipped language."""
