"""What artlib keeps on disk, in one place.

* :mod:`.artifacts`: what the notebooks make, saved and loaded by name (models with their cards, similarity
  indexes, parameters, tables), the one way to save and load a model;
* :mod:`.thumbnails`: small JPEG copies for galleries and maps;
* :mod:`.resized_images`: a pre-resized copy of a dataset, so that decoding keeps up with the GPU.
"""
