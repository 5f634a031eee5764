"""The shared web kit both apps' pages use: page-or-fragment (``webkit.responses.respond``) and
the template tags of ``templates/components/`` (``{% load webkit %}``).

A package of its own (not part of ``pipelines_app`` or ``portal``) because it belongs to neither
domain: both apps import it, and it imports only Django, so it sits under them and above nothing.
"""
