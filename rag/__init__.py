"""ReportQA's engine: settings, store, embedders, retrieval and answering."""
