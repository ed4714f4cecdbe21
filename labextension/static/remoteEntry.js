// A prebuilt JupyterLab extension, written by hand (no build step), for the slides.
//
// jupyterlab-rise's page (/rise/<notebook>, also shown by "Render as Reveal Slideshow") is a
// smaller JupyterLab that does not bundle @jupyterlab/console. The ipywidgets manager imports
// that package only for IConsoleTracker, an *optional* token, yet webpack refuses to load the
// whole manager when a shared module is missing: "Shared module @jupyterlab/console doesn't
// exist in shared scope default", and every widget shows its static picture.
//
// This container adds a stand-in @jupyterlab/console (just the IConsoleTracker token) to the
// shared scope, and only where none exists: full JupyterLab keeps its own.
var _JUPYTERLAB;
(function () {
  "use strict";
  _JUPYTERLAB = window._JUPYTERLAB = window._JUPYTERLAB || {};

  function newest(versions) {
    return Object.keys(versions).sort(function (a, b) {
      return a.localeCompare(b, undefined, { numeric: true });
    }).pop();
  }

  function consoleStandIn(scope) {
    var lumino = scope["@lumino/coreutils"];
    return lumino[newest(lumino)].get().then(function (factory) {
      var Token = factory().Token;
      var module = { IConsoleTracker: new Token("@jupyterlab/console:IConsoleTracker") };
      return function () { return module; };
    });
  }

  _JUPYTERLAB["autogradviz-slides"] = {
    init: function (scope) {
      if (!scope["@jupyterlab/console"] && scope["@lumino/coreutils"]) {
        scope["@jupyterlab/console"] = {
          "4.0.0": { get: function () { return consoleStandIn(scope); }, from: "autogradviz-slides", eager: false }
        };
      }
      return Promise.resolve();
    },
    get: function (module) {
      return Promise.reject(new Error("autogradviz-slides has no module " + module));
    }
  };
})();
