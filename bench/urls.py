"""The product's URLs and the framework floor page /bench/floor/, for the benchmark's servers
only (bench/settings.py)."""

from django.urls import path

from binhyen import urls as product

from .views import floor

urlpatterns = [path("bench/floor/", floor, name="bench-floor"), *product.urlpatterns]

handler400 = product.handler400
handler403 = product.handler403
handler404 = product.handler404
handler500 = product.handler500
