"""The keyword index: BM25 over the jieba tokens stored at ingest, kept as segments so that adding or removing one
report writes only that report's part.

- ``segment``: one immutable segment (term frequencies and chunk lengths of some documents' chunks).
- ``bm25``: scores over all segments with the corpus statistics merged at query time, equal to one index over
  every chunk (bm25s' Lucene variant, the engine's former single index).
- ``glossary``: the bilingual glossaries for the current vocabulary, from a dictionary index built once.
- ``catalog``: which segments (and deleted documents) make the current index, stamped with the manifest
  generation; updated incrementally, rebuilt when unreadable.
"""
