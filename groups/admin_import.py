# Placeholder so that groups/admin.py imports; the import/export helper replaces this file
# with the real MemberImportExportMixin.
class MemberImportExportMixin:
    pass
