"""Open data downloads (CSV/JSON) of public projects, KPIs and ideas, per town and for the region, under the
Datenlizenz Deutschland – Namensnennung 2.0, and their DCAT-AP.de catalogue (JSON-LD and RDF/XML).

Addresses (inside the API's namespace): ``/api/v1/towns/<town>/opendata/<dataset>.csv|.json`` (the town's
scope: joint projects and processes appear in every partner town), ``/api/v1/opendata/<dataset>.csv|.json``
(all active towns in ``public_region_scope()``, each joint row once), beside each file
``<dataset>.datapackage.json`` (what its columns mean), and ``/api/v1/opendata/catalog.jsonld|.rdf``; the
human-readable page at ``/offene-daten/``. Public rows only (``selectors``), no personal data: no authors, no
e-mail addresses, no names of persons.

The modules, from the bottom up (each imports only modules listed before it):

* ``selectors`` — the reads: public projects, their KPIs, published ideas, and when the rows of each download
  last changed (``Freshness``).
* ``licence`` — the licence (dl-de/by-2-0), the attribution it requires and who is named as the source.
* ``rows`` — cells and rows: an object as an item of the JSON file, a value as a CSV cell.
* ``datasets`` — the datasets (``Field``, the ``*_FIELDS``, ``Dataset``, ``DATASETS``, ``FORMATS``), their
  file names and addresses.
* ``downloads`` — a file written from the rows (``write_download``), its ETag, the conditional GET, and the
  answers for a built file and for one being built.
* ``datapackage`` — the Frictionless description of a dataset's CSV file.
* ``dcat`` — the DCAT-AP.de catalogue (JSON-LD); ``rdf`` — the same graph as RDF/XML.
* ``files`` — the files built by the worker and kept in the storage: changes, builds, their lock, serving.
* ``schema`` — the OpenAPI description of the downloads (bodies, parameters, ``extend_schema`` helpers).
* ``views`` — the download, datapackage and catalogue views; ``urls`` — their addresses (mounted by
  api/urls.py).
* ``pages`` — the open data page at /offene-daten/ (mounted by smartcity5/urls.py).
"""
