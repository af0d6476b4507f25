"""The retrieve stage: dense and keyword search fused (``hybrid``), optionally reranked by a cross-encoder."""
