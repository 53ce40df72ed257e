"""The try page (`./dev try`): the real skill in a browser, in real time, for local use only.

A page where a person types what they would say (or presses a button), hears and reads Foot Coach's
answer on the speech's own timeline, and watches the Echo Show's counter move with the count. The
server side turns typed text into real request JSON (the console's matcher, envelope builder and
conversation driver), posts it to POST / of the same app, and lays out each answer's SSML and APL
as a timeline the page plays. Served only by create_try_app(), whose app has request verification
off; the production app (create_app) never registers it.

Sits above the console (it reuses the console's driver) and the app. May import any layer.
"""
