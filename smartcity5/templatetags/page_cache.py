"""``{% shared_content %}…{% endshared_content %}`` (base.html, around ``{% block content %}``): the main content of a
page that shows nothing depending on the visitor, kept in the cache under the anonymous page cache's version for
the signed-in people, whose pages are built for each of them (smartcity5/page_cache.py, ``shared_content``).

Content that carries a CSRF token or this request's CSP nonce is never stored (a page whose content holds a form to
post, or an inline script): it would hand one visitor's token to another."""

from django import template
from django.core.cache import cache
from django.utils.safestring import mark_safe

from smartcity5 import page_cache

register = template.Library()


class SharedContentNode(template.Node):
    def __init__(self, nodelist):
        self.nodelist = nodelist

    def render(self, context):
        request = context.get("request")
        key = page_cache.shared_content_key(request) if request is not None else None
        if key is None:
            return self.nodelist.render(context)
        html = cache.get(key)
        if html is not None:
            request._shared_content_hit = True
            return mark_safe(html)
        html = self.nodelist.render(context)
        nonce = getattr(request, "csp_nonce", None)
        nonce_in_html = nonce is not None and getattr(nonce, "used", True) and str(nonce) in html
        if "csrfmiddlewaretoken" not in html and not nonce_in_html:
            # Stored by the view's decorator once the page is a plain 200 (smartcity5.page_cache).
            request._shared_content_built = str(html)
        return html


@register.tag
def shared_content(parser, token):
    nodelist = parser.parse(("endshared_content",))
    parser.delete_first_token()
    return SharedContentNode(nodelist)
