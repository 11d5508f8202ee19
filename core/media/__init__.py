"""Media controller: the topology (entities, pads, links, interfaces), sub-device pad
formats, the pipeline check that explains STREAMON EPIPE, and media-ctl-like setup."""
