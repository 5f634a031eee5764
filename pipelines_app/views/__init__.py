"""Pages of the pipelines app: catalog, wizard, job form, XML editor, change requests, reviews,
audit. Every view fetches with a permission helper, calls one service or selector, and renders
through ``webkit.responses.respond``: one URL serves both the page and, for htmx, its fragment."""
