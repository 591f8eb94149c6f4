"""HSDS 3.0 exchange: schemas, import (JSON, CSV data packages), export and the read API."""
