"""Master data and opening stock loaded from spreadsheets (``caixiao import KIND FILE`` and the
``importData`` mutation): every row judged first, then written in one transaction."""
