"""Text-level readers every stage shares, ingest included; none of them touches storage.

- ``primitives``: folding, tokenizing, sentence spans, language.
- ``cues`` (the question vocabulary, ``rag/question_vocab.yaml``) and ``figures`` (amounts, shares, dates as
  written).
- ``bilingual``: the CC-CEDICT glossary between the reports' Chinese and English words.
- ``specificity``: how specific a word is in the language at large.
- ``instructions``: passages that read as instructions to a model.
- ``blocks``: a report's structure as typed blocks, read once at ingest; ``document_structure``: a report's blocks
  and the queries later stages ask of them; ``block_words``: the words structure is read with.
"""
