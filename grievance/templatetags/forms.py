"""Form rendering the GOV.UK way: an error summary that links to each field, plain messages next
to the field, and `aria-describedby` naming only ids the page really has."""

from __future__ import annotations

from django import template
from django.forms import BoundField, Form

register = template.Library()


def hint_id(field: BoundField) -> str:
    return f"{field.auto_id}_helptext"


def error_id(field: BoundField) -> str:
    return f"{field.auto_id}-error"


def describedby(field: BoundField, *extra: str) -> str:
    """The ids that describe `field`: its hint and its error message, when it has them."""
    ids = [hint_id(field)] if field.help_text else []
    ids += [i for i in extra if i]
    if field.errors:
        ids.append(error_id(field))
    return " ".join(ids)


@register.simple_tag(takes_context=True)
def field_widget(context, field: BoundField):
    """The field's control with `aria-describedby` and `aria-invalid` true to what is shown
    (`extra_describedby` in the context: ids of notes the page adds next to the field)."""
    attrs = {}
    ids = describedby(field, context.get("extra_describedby") or "")
    if ids:
        attrs["aria-describedby"] = ids
    if field.errors:
        attrs["aria-invalid"] = "true"
    return field.as_widget(attrs=attrs)


@register.simple_tag(takes_context=True)
def field_describedby(context, field: BoundField) -> str:
    return describedby(field, context.get("extra_describedby") or "")


@register.simple_tag(takes_context=True)
def page_error_form(context):
    """The form whose errors the page reports: `error_form` if the view names one, else `form`."""
    return context.get("error_form") or context.get("form")


@register.filter
def form_anchor(form: Form) -> str:
    return getattr(form, "error_anchor", "") or "form"


@register.filter
def field_error_id(field: BoundField) -> str:
    return error_id(field)


@register.filter
def field_hint_id(field: BoundField) -> str:
    return hint_id(field)


@register.inclusion_tag("forms/error_summary.html")
def error_summary(form: Form | None):
    """One line per problem, each a link to the control to fix. A form may name where errors of its
    hidden fields (or of the form as a whole) should lead with `error_anchors` / `error_anchor`."""
    items: list[tuple[str, str]] = []
    if form is None or not getattr(form, "errors", None):
        return {"items": items}
    anchors = getattr(form, "error_anchors", {})
    form_anchor = getattr(form, "error_anchor", "")
    # In the order of the page (the form's field order), problems with the whole form first.
    order = {name: position for position, name in enumerate(["__all__", *form.fields])}
    for name, errors in sorted(form.errors.items(), key=lambda item: order.get(item[0], len(order))):
        if name == "__all__":
            href = f"#{form_anchor}" if form_anchor else ""
        elif name in anchors:
            href = f"#{anchors[name]}"
        else:
            bound = form[name]
            widget = bound.field.widget
            target = bound.auto_id
            # Radio buttons: the first button; the id of the group is not an element.
            if getattr(widget, "input_type", "") in ("radio", "checkbox") and bound.subwidgets:
                target = bound.subwidgets[0].id_for_label
            href = f"#{target}"
        items.extend((href, str(message)) for message in errors)
    return {"items": items}
