"""What the wizard, the job form and the XML editor build a draft with, apart from the views:
drafts kept in the session (``drafts``), rows of a page (``rows``), where a problem belongs on the
page (``placing``), and checking a definition as it would stand on main (``checking``)."""
