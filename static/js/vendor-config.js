/* Loaded before Bootstrap Italia's bundle: its video.js would otherwise add a <style> element to every page, which
   the Content-Security-Policy refuses (perfplan shows no video). */
window.VIDEOJS_NO_DYNAMIC_STYLE = true;
