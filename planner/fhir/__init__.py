"""The FHIR R4 API's domain side: tokens and scopes, search parsing, mappers, bundles, booking glue.

JSON is built here as plain dicts; nothing here imports a FHIR library or the web layer.
"""
