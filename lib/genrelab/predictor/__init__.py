"""The genre predictor (notebook 05, ``make app``): a model side and a view.

Modules
-------
clusters
    the run's Gaussian mixture for the predictor, cached in the run; each cluster's genres
model
    :class:`~genrelab.predictor.model.PredictorModel`: the run's classifier, mixture, track
    index and aubio mapping, for one point at a time (no ipywidgets)
proba
    :class:`~genrelab.predictor.proba.ProbaFunction`: fast probabilities of one point
html
    the page's CSS and HTML snippets
controls
    one slider per feature, grouped and labelled
external
    the widget's other ways in: a Spotify track, an uploaded audio file
widget
    :class:`~genrelab.predictor.widget.GenrePredictor`: the ipywidget view

Import the module you need (``from genrelab.predictor.widget import GenrePredictor``); this
package imports none of them, so the model side never loads ipywidgets.
"""
