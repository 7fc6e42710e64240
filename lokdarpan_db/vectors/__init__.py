"""The vector store (ai_embedding_store): loading embeddings (loader); the demo's
view is devtools/demos/vectors.py."""
