"""Ingestion: read reports, clean, split, embed and write them to the store."""
