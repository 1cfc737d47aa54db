"""Reporting urls: mail (joined in reporting/urls.py, namespace reporting). Only ids and the
signed unsubscribe token (which carries only the contact's id) in the paths."""

from django.urls import path

from . import views_mail

urlpatterns: list = [
    path("bezettingsmail/", views_mail.contacts, name="mail_contacts"),
    path("bezettingsmail/gemeente/<int:municipality_id>/ontvanger-toevoegen/", views_mail.contact_add,
         name="mail_contact_add"),
    path("bezettingsmail/gemeente/<int:municipality_id>/laatste-mail/", views_mail.preview, name="mail_preview"),
    path("bezettingsmail/ontvanger/<int:contact_id>/bewerken/", views_mail.contact_edit, name="mail_contact_edit"),
    path("bezettingsmail/ontvanger/<int:contact_id>/uitzetten/", views_mail.contact_switch_off,
         name="mail_contact_switch_off"),
    path("bezettingsmail/ontvanger/<int:contact_id>/aanzetten/", views_mail.contact_switch_on,
         name="mail_contact_switch_on"),
    path("bezettingsmail/ontvanger/<int:contact_id>/verwijderen/", views_mail.contact_delete,
         name="mail_contact_delete"),
    path("bezettingsmail/afmelden/<str:token>/", views_mail.unsubscribe, name="mail_unsubscribe"),
]
