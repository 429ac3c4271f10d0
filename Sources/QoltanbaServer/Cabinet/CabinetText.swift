/// Every text of the cabinet in Kazakh, Russian and English (the step names come from
/// ``ClientText``). `%1`, `%2` are filled by ``ClientLanguage/text(_:_:)``.
enum CabinetText: CaseIterable, Translated {
    case title, navOrganization, navKeys, navSessions, navWebhooks, navPassword, logOut, themeLight, themeDark,
        loginHeading, emailLabel, passwordLabel, logInAction, loginWrong, loginThrottled, formExpired, notFound,
        passwordHeading, passwordForced, currentPassword, newPassword, newPasswordConfirm, passwordRule, changePasswordAction,
        passwordWrongCurrent, passwordTooShort, passwordTooLong, passwordMismatch, passwordUnchanged,
        organizationName, organizationID, createdLabel, webhookHeading, webhookIntro, webhookURL, webhookNone, saveAction,
        rotateAction, webhookSecretNew, secretShownOnce, previousSecretUntil, webhookNotHTTP, webhookRefused, webhookSaved,
        keysIntro, keyLabel, createKeyAction, keyNew, keyPrefix, keyLastUsed, stateLabel, keyActive, keyRevoked, revokeAction,
        keyRevokedNotice, noKeys,
        statusLabel, anyStatus, fromLabel, toLabel, filterAction, badDate, sessionLabel, iinLabel, failureLabel, noSessions,
        newerPage, olderPage,
        checkIDLabel, expiresLabel, typeLabel, documentsLabel, timelineHeading, eventCreated, eventOpened, eventFinished,
        eventCanceled, stepPasswordCreate, stepPasswordOTP, eventStepPassed, eventStepFailed, eventStepWrong, wrongPassword, wrongCode, eventWebhook,
        eventLabel, attemptsLabel, lastAnswerLabel, nextTryLabel, statePending, stateDelivered, stateDead, redeliverAction,
        redeliveredNotice, noEvents, milliseconds

    var translations: (kk: String, ru: String, en: String) {
        switch self {
        case .title: ("Ұйым кабинеті", "Кабинет организации", "Organization cabinet")
        case .navOrganization: ("Ұйым", "Организация", "Organization")
        case .navKeys: ("API кілттері", "API-ключи", "API keys")
        case .navSessions: ("Сессиялар", "Сессии", "Sessions")
        case .navWebhooks: ("Вебхуктар", "Вебхуки", "Webhooks")
        case .navPassword: ("Құпиясөз", "Пароль", "Password")
        case .logOut: ("Шығу", "Выйти", "Log out")
        case .themeLight: ("Жарық", "Светлая", "Light")
        case .themeDark: ("Қараңғы", "Тёмная", "Dark")
        case .loginHeading: ("Кабинетке кіру", "Вход в кабинет", "Log in to the cabinet")
        case .emailLabel: ("Электрондық пошта", "Электронная почта", "Email")
        case .passwordLabel: ("Құпиясөз", "Пароль", "Password")
        case .logInAction: ("Кіру", "Войти", "Log in")
        case .loginWrong: ("Пошта немесе құпиясөз қате.", "Неверная почта или пароль.", "Wrong email or password.")
        case .loginThrottled: ("Сәтсіз әрекеттер тым көп. 15 минуттан кейін қайталаңыз.", "Слишком много неудачных попыток. Повторите через 15 минут.", "Too many failed attempts. Try again in 15 minutes.")
        case .formExpired: ("Форманың мерзімі өтті. Бетті жаңартып, қайталаңыз.", "Срок действия формы истёк. Обновите страницу и повторите.", "The form has expired. Reload the page and try again.")
        case .notFound: ("Табылмады.", "Не найдено.", "Not found.")
        case .passwordHeading: ("Құпиясөзді ауыстыру", "Смена пароля", "Change the password")
        case .passwordForced: ("Сіз бір реттік құпиясөзбен кірдіңіз. Жалғастыру үшін өз құпиясөзіңізді орнатыңыз.", "Вы вошли с одноразовым паролем. Задайте свой, чтобы продолжить.", "You logged in with a one-time password. Choose your own to continue.")
        case .currentPassword: ("Ағымдағы құпиясөз", "Текущий пароль", "Current password")
        case .newPassword: ("Жаңа құпиясөз", "Новый пароль", "New password")
        case .newPasswordConfirm: ("Жаңа құпиясөзді қайталаңыз", "Повторите новый пароль", "Repeat the new password")
        case .passwordRule: ("Кемінде %1 таңба.", "Не менее %1 символов.", "At least %1 characters.")
        case .changePasswordAction: ("Құпиясөзді ауыстыру", "Сменить пароль", "Change the password")
        case .passwordWrongCurrent: ("Ағымдағы құпиясөз қате.", "Текущий пароль неверен.", "The current password is wrong.")
        case .passwordTooShort: ("Жаңа құпиясөз кемінде %1 таңбадан тұруы керек.", "Новый пароль должен содержать не менее %1 символов.", "The new password must have at least %1 characters.")
        case .passwordTooLong: ("Жаңа құпиясөз %1 байттан аспауы керек.", "Новый пароль должен занимать не более %1 байт.", "The new password must take at most %1 bytes.")
        case .passwordMismatch: ("Жаңа құпиясөздер сәйкес келмейді.", "Новые пароли не совпадают.", "The new passwords do not match.")
        case .passwordUnchanged: ("Жаңа құпиясөз ағымдағысынан өзгеше болуы керек.", "Новый пароль должен отличаться от текущего.", "The new password must differ from the current one.")
        case .organizationName: ("Атауы", "Название", "Name")
        case .organizationID: ("Идентификатор", "Идентификатор", "Identifier")
        case .createdLabel: ("Құрылған уақыты", "Создано", "Created")
        case .webhookHeading: ("Вебхук", "Вебхук", "Webhook")
        case .webhookIntro: ("Сессия оқиғалары осы мекенжайға жіберіледі және құпия кілтпен қол қойылады (X-Signature тақырыбы). Мекенжайды сақтаған сайын жаңа құпия кілт жасалады; бұрынғысы тағы 24 сағат бойы қол қояды.", "События сессий отправляются на этот адрес и подписываются секретом (заголовок X-Signature). При каждом сохранении адреса создаётся новый секрет; прежний подписывает ещё 24 часа.", "Session events are posted to this URL, signed with the secret (the X-Signature header). Every save of the URL creates a new secret; the previous one keeps signing for 24 hours.")
        case .webhookURL: ("Вебхук мекенжайы", "Адрес вебхука", "Webhook URL")
        case .webhookNone: ("Вебхук орнатылмаған.", "Вебхук не задан.", "No webhook is set.")
        case .saveAction: ("Сақтау", "Сохранить", "Save")
        case .rotateAction: ("Жаңа құпия кілт жасау", "Создать новый секрет", "Create a new secret")
        case .webhookSecretNew: ("Вебхуктың жаңа құпия кілті", "Новый секрет вебхука", "The new webhook secret")
        case .secretShownOnce: ("Оны қазір көшіріп алыңыз: ол тек бір рет көрсетіледі.", "Скопируйте его сейчас: он показывается только один раз.", "Copy it now: it is shown only once.")
        case .previousSecretUntil: ("Бұрынғы құпия кілт %1 дейін қол қояды.", "Прежний секрет подписывает до %1.", "The previous secret signs until %1.")
        case .webhookNotHTTP: ("Мекенжай абсолютті http немесе https URL болуы керек.", "Адрес должен быть абсолютным URL http или https.", "The URL must be an absolute http or https URL.")
        case .webhookRefused: ("Мекенжайдың хосты жергілікті немесе жеке желі мекенжайына сәйкес келеді, не мүлдем табылмайды.", "Хост адреса указывает на локальный или частный адрес сети либо не находится.", "The URL's host resolves to a loopback, link-local or private address, or not at all.")
        case .webhookSaved: ("Вебхук сақталды.", "Вебхук сохранён.", "The webhook has been saved.")
        case .keysIntro: ("Кілттер API сұрауларыңызды растайды (x-api-key тақырыбы). Тек хеші сақталады: кілт жасалған кезде бір рет қана көрсетіледі.", "Ключи подтверждают Ваши запросы к API (заголовок x-api-key). Хранится только хеш: ключ показывается один раз, при создании.", "Keys authenticate your requests to the API (the x-api-key header). Only a hash is stored: a key is shown once, when it is created.")
        case .keyLabel: ("Белгі", "Метка", "Label")
        case .createKeyAction: ("Кілт жасау", "Создать ключ", "Create a key")
        case .keyNew: ("Жаңа API кілті", "Новый API-ключ", "The new API key")
        case .keyPrefix: ("Префикс", "Префикс", "Prefix")
        case .keyLastUsed: ("Соңғы қолданылған", "Последнее использование", "Last used")
        case .stateLabel: ("Күйі", "Состояние", "State")
        case .keyActive: ("белсенді", "действует", "active")
        case .keyRevoked: ("кері қайтарылды: %1", "отозван: %1", "revoked: %1")
        case .revokeAction: ("Кері қайтару", "Отозвать", "Revoke")
        case .keyRevokedNotice: ("Кілт кері қайтарылды: ол енді API-ге қатынай алмайды.", "Ключ отозван: доступа к API с ним больше нет.", "The key has been revoked: it no longer opens the API.")
        case .noKeys: ("Әзірге кілттер жоқ.", "Ключей пока нет.", "No keys yet.")
        case .statusLabel: ("Мәртебесі", "Статус", "Status")
        case .anyStatus: ("Кез келген", "Любой", "Any")
        case .fromLabel: ("Бастап", "С", "From")
        case .toLabel: ("Дейін", "По", "To")
        case .filterAction: ("Көрсету", "Показать", "Show")
        case .badDate: ("Күн ЖЖЖЖ-АА-КК түрінде берілуі керек.", "Дата должна иметь вид ГГГГ-ММ-ДД.", "A date must read YYYY-MM-DD.")
        case .sessionLabel: ("Сессия", "Сессия", "Session")
        case .iinLabel: ("ЖСН", "ИИН", "IIN")
        case .failureLabel: ("Себебі", "Причина", "Reason")
        case .noSessions: ("Сессиялар табылмады.", "Сессий не найдено.", "No sessions match.")
        case .newerPage: ("← Жаңарақ", "← Новее", "← Newer")
        case .olderPage: ("Ескірек →", "Старее →", "Older →")
        case .checkIDLabel: ("Тексеру идентификаторы", "Идентификатор проверки", "Check id")
        case .expiresLabel: ("Мерзімі аяқталады", "Истекает", "Expires")
        case .typeLabel: ("Құжат түрі", "Тип документов", "Document type")
        case .documentsLabel: ("Құжаттар саны", "Документов", "Documents")
        case .timelineHeading: ("Хронология", "Хронология", "Timeline")
        case .eventCreated: ("API арқылы құрылды", "Создана через API", "Created through the API")
        case .eventOpened: ("Қол қоюшы қол қою клиентін ашты", "Подписант открыл клиент подписания", "The signer opened the signing client")
        case .eventFinished: ("Барлық құжаттарға қол қойылды", "Все документы подписаны", "All documents signed")
        case .eventCanceled: ("Тоқтатылды: %1", "Отменена: %1", "Canceled: %1")
        case .stepPasswordCreate: ("Құпиясөз жасау", "Создание пароля", "Password creation")
        case .stepPasswordOTP: ("Құпиясөзді SMS-кодпен растау", "Подтверждение пароля SMS-кодом", "Password confirmation by SMS code")
        case .eventStepPassed: ("Қадам өтті: %1", "Шаг пройден: %1", "Step passed: %1")
        case .eventStepFailed: ("Қадам өтпеді: %1 — %2", "Шаг не пройден: %1 — %2", "Step failed: %1 — %2")
        case .eventStepWrong: ("Қате енгізу: %1 — %2", "Неверный ввод: %1 — %2", "Wrong entry: %1 — %2")
        case .wrongPassword: ("құпиясөз қате", "неверный пароль", "wrong password")
        case .wrongCode: ("код қате немесе мерзімі өткен", "неверный или просроченный код", "wrong or expired code")
        case .eventWebhook: ("Вебхук %1: %2", "Вебхук %1: %2", "Webhook %1: %2")
        case .eventLabel: ("Оқиға", "Событие", "Event")
        case .attemptsLabel: ("Әрекеттер", "Попытки", "Attempts")
        case .lastAnswerLabel: ("Соңғы жауап", "Последний ответ", "Last answer")
        case .nextTryLabel: ("Келесі әрекет", "Следующая попытка", "Next try")
        case .statePending: ("күтуде", "ожидает", "pending")
        case .stateDelivered: ("жеткізілді", "доставлено", "delivered")
        case .stateDead: ("жеткізілмеді", "не доставлено", "failed for good")
        case .redeliverAction: ("Қайта жіберу", "Отправить снова", "Deliver again")
        case .redeliveredNotice: ("Оқиға бірнеше секунд ішінде қайта жіберіледі.", "Событие будет отправлено снова в течение нескольких секунд.", "The event will be delivered again within seconds.")
        case .noEvents: ("Әзірге вебхук оқиғалары жоқ.", "Событий вебхуков пока нет.", "No webhook events yet.")
        case .milliseconds: ("%1 мс", "%1 мс", "%1 ms")
        }
    }
}
