"""``field__any_of=ids``: the rows whose ``field`` is one of a list of numbers, sent as ONE parameter.

Django's ``__in`` sends a list as one parameter per value, each prepared by the field and placed by the driver:
about 20 Python calls per id. A page that filters by the ids it read before (a search's matches, the map's
points, the projects a town joins) then spent time in proportion to how many there were (670 joined projects
were a third of a project search's Python at 40,000 ideas a town, bench/README.md, "Search"). Here the list is
one array: ``= ANY(%s)`` on PostgreSQL, ``IN (SELECT value FROM json_each(%s))`` on SQLite, other databases
``IN (…)`` as Django does it. The values must be integers (ids); anything else is refused with ``ValueError``.
"""

import json

from django.db.models import Field, Lookup


class AnyOf(Lookup):
    lookup_name = "any_of"
    prepare_rhs = False

    def get_prep_lookup(self):
        values = list(self.rhs)
        if any(isinstance(value, bool) or not isinstance(value, int) for value in values):
            raise ValueError("any_of takes ids (integers)")  # a programming error, not a visitor's input
        return values

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = list(self.rhs)
        if not values:
            return "1 = 0", []  # no id: no row (as Django's empty __in, without raising)
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s::bigint[])", [*lhs_params, values]
        if connection.vendor == "sqlite":
            return f"{lhs} IN (SELECT value FROM json_each(%s))", [*lhs_params, json.dumps(values)]
        placeholders = ", ".join(["%s"] * len(values))
        return f"{lhs} IN ({placeholders})", [*lhs_params, *values]


Field.register_lookup(AnyOf)
