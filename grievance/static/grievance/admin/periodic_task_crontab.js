// Periodic task admin form: show the crontab's plain-language translation under the field
// (django-celery-beat's inline script, served as a file for the Content-Security-Policy).
'use strict';
(function () {
  const script = document.currentScript;
  const originalHelp = script.dataset.crontabHelp || '';
  const $ = window.django.jQuery;
  $(function () {
    const readableCrontabs = JSON.parse($('#readable-crontabs').text());
    $('.field-crontab_translation').hide();
    $('.field-crontab').change(function () {
      const help = $('.field-crontab .help').empty().text(originalHelp);
      const translation = readableCrontabs[$('#id_crontab').val()];
      if (translation) {
        help.append($('<br>'), document.createTextNode('Translation: ' + translation));
      }
    });
  });
})();
