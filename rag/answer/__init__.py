"""The answer stage: from the retrieved passages to an ``Answer``.

- ``gather``: the evidence for a question (passages retrieved, sentences scored, the abstainer's decision).
- ``fits``: whether a sentence can carry the kind of answer a question asks for.
- ``evidence``: every sentence of the passages scored in the context of its block; passages reordered by it.
- ``abstain``: refuse or answer, from a fitted model over measured signals (``abstainer.json`` beside it).
- ``extractive``, ``structured`` (lists, comparisons), ``summary``, ``parts`` (what they share), ``lists``
  (which list answers): answers quoted from the reports.
- ``llm`` and ``support``: an answer written by a language model, every sentence checked against its sources.
- ``citations``: the quote a citation shows; ``messages``: what is said instead of an answer.
"""
