"""The DCAT-AP.de catalogue as RDF/XML: the same graph for harvesters that do not read JSON-LD."""

from xml.etree import ElementTree

from .dcat import CONTEXT

RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
XML_NS = "http://www.w3.org/XML/1998/namespace"


def _expand(term: str) -> str:
    prefix, _colon, local = term.partition(":")
    return CONTEXT[prefix] + local if prefix in CONTEXT else term


def _tag(term: str) -> str:
    prefix, _colon, local = term.partition(":")
    return f"{{{CONTEXT[prefix]}}}{local}"


def _rdf_node(parent: ElementTree.Element, node: dict) -> None:
    """A node object of the JSON-LD as a node element (typed by its first type), nested where it is used."""
    types = node.get("@type") or []
    types = [types] if isinstance(types, str) else list(types)
    element = ElementTree.SubElement(parent, _tag(types[0]) if types else f"{{{RDF_NS}}}Description")
    if "@id" in node:
        element.set(f"{{{RDF_NS}}}about", node["@id"])
    for extra in types[1:]:
        ElementTree.SubElement(element, f"{{{RDF_NS}}}type").set(f"{{{RDF_NS}}}resource", _expand(extra))
    for key, values in node.items():
        if key.startswith("@"):
            continue
        for value in values if isinstance(values, list) else [values]:
            prop = ElementTree.SubElement(element, _tag(key))
            if isinstance(value, str):
                prop.text = value
            elif "@value" in value:
                prop.text = str(value["@value"])
                if "@language" in value:
                    prop.set(f"{{{XML_NS}}}lang", value["@language"])
                if "@type" in value:
                    prop.set(f"{{{RDF_NS}}}datatype", _expand(value["@type"]))
            elif set(value) == {"@id"}:
                prop.set(f"{{{RDF_NS}}}resource", value["@id"])
            else:
                _rdf_node(prop, value)


def rdf_xml(body: dict) -> bytes:
    """The catalogue (as :func:`catalogue` gives it: compact JSON-LD with the prefixes of ``CONTEXT``) as
    RDF/XML."""
    for prefix, namespace in (("rdf", RDF_NS), *CONTEXT.items()):
        ElementTree.register_namespace(prefix, namespace)
    root = ElementTree.Element(f"{{{RDF_NS}}}RDF")
    _rdf_node(root, body)
    ElementTree.indent(root, space=" ")
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)
