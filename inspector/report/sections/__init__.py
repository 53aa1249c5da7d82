"""The report's sections, one module each, in page order: cover, summary, damages,
contact sheet, evidence appendix. Each returns a list of flowables from a
:class:`~inspector.report.context.Context`."""
