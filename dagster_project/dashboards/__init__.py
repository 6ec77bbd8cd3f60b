"""The Evidence dashboards: built from the published database (`build`), served (`serve`)."""
