from django.contrib.auth import views as auth_views
from django.urls import path

from . import audit_views, views

urlpatterns = [
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/read/", views.notification_read, name="notification-read"),
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path(
        "password/change/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("account/two-factor/", views.two_factor_setup, name="two-factor-setup"),
    path("account/two-factor/verify/", views.two_factor_verify, name="two-factor-verify"),
    path("account/api-token/", views.api_token, name="api-token"),
    path("account/push/", views.push_devices, name="push-devices"),
    path("account/push/subscribe/", views.push_subscribe, name="push-subscribe"),
    path("account/push/<int:device_id>/", views.push_device, name="push-device"),
    path(
        "account/push/<int:device_id>/remove/",
        views.push_device_remove,
        name="push-device-remove",
    ),
    path("audit/", audit_views.audit_log, name="audit-log"),
    path("account/two-factor/recovery/", views.two_factor_recovery, name="two-factor-recovery"),
]
