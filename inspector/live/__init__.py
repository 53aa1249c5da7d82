"""The live link: the phone server, the WebRTC peers, the sessions and the engine that runs them."""
