"""What a Chroma server holds beside the chunk vectors (``rag.store``), so that any machine can answer from it.

- ``server``: the documents collection (each report's record and its document file, in parts) and the sentences
  collection (sentence vectors), with the index's version stamp in the documents collection's metadata.
- ``mirror``: the data directory as a cache of the server: document files, sentence vectors, manifest and keyword
  index, brought in line whenever the stamp changed.
- ``server_lock``: ingests from several machines take turns through a lock collection on the server.
"""
