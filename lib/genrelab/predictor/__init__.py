"""The genre predictor (notebook 05, ``make app``): a model side and a view.

Modules
-------
model    :class:`~genrelab.predictor.model.PredictorModel`: the run's classifier, mixture, track
         index and aubio mapping, for one point at a time (no ipywidgets)
proba    :class:`~genrelab.predictor.proba.ProbaFunction`: fast probabilities of one point
html     the page's CSS and HTML snippets
widget   :class:`~genrelab.predictor.widget.GenrePredictor`: the ipywidget view

Import the module you need (``from genrelab.predictor.widget import GenrePredictor``); this
package imports none of them, so the model side never loads ipywidgets.
"""
