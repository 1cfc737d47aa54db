from django.urls import path

from . import views

app_name = "casework"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("nieuw/", views.case_new, name="case_new"),
    path("<uuid:uuid>/", views.case_detail, name="case_detail"),
    path("<uuid:uuid>/aantekening/", views.entry_add, name="entry_add"),
    path("<uuid:uuid>/aantekening/<uuid:entry_uuid>/wijzigen/", views.entry_edit, name="entry_edit"),
    path("<uuid:uuid>/verwijzing/", views.referral_add, name="referral_add"),
    path("<uuid:uuid>/verwijzing/<uuid:referral_uuid>/accepteren/", views.referral_accept, name="referral_accept"),
    path("<uuid:uuid>/verwijzing/<uuid:referral_uuid>/afwijzen/", views.referral_reject, name="referral_reject"),
    path("<uuid:uuid>/verwijzing/<uuid:referral_uuid>/afronden/", views.referral_complete, name="referral_complete"),
    path("<uuid:uuid>/status/", views.case_status, name="case_status"),
    path("<uuid:uuid>/afsluiten/", views.case_close, name="case_close"),
    path("<uuid:uuid>/heropenen/", views.case_reopen, name="case_reopen"),
    path("<uuid:uuid>/opvolgen/", views.case_follow_up, name="case_follow_up"),
    path("<uuid:uuid>/toewijzen/", views.case_assign, name="case_assign"),
    path("<uuid:uuid>/delen/", views.share_add, name="share_add"),
    path("<uuid:uuid>/delen/<uuid:share_uuid>/intrekken/", views.share_revoke, name="share_revoke"),
    path("<uuid:uuid>/signal/", views.signal_share, name="signal_share"),
    path("<uuid:uuid>/signal/<uuid:share_uuid>/", views.signal_done, name="signal_done"),
    # --- subject access (cw-retention)
    path("inzage/", views.subject_access, name="subject_access"),
    path("<uuid:uuid>/overplaatsing/", views.transfer_request, name="transfer_request"),
    path("<uuid:uuid>/overplaatsing/<uuid:transfer_uuid>/intrekken/", views.transfer_cancel, name="transfer_cancel"),
]
