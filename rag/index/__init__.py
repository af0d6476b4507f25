"""The index: the only code that touches storage.

- ``store``: the Chroma chunk collection; ``manifest``: what is ingested; ``docfiles`` and ``page_boxes``: the
  per-document files (sidecar, sentence vectors, line boxes); ``files``: atomic writes.
- ``lexical`` and ``keyword``: the keyword (BM25) index kept as segments beside the store.
- ``server``: the documents collection (each report's record and its document file, in parts) and the sentences
  collection (sentence vectors), with the index's version stamp in the documents collection's metadata.
- ``mirror``: the data directory as a cache of the server: document files, sentence vectors, manifest and keyword
  index, brought in line whenever the stamp changed.
- ``server_lock``: ingests from several machines take turns through a lock collection on the server.
"""
