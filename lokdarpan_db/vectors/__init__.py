"""The vector store (ai_embedding_store): loading embeddings (loader) and the demo's view (show)."""
