"""The navigation every page shows: each app adds its entries in portal/navigation.py."""

from portal.navigation import entries_for


def navigation(request):
    return {"nav_entries": entries_for(request)}
