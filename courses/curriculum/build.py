"""Generates the curriculum shipped with the product.

Run ``uv run python -m courses.curriculum.build`` to (re)write the four course files next to this
module. The output is deterministic: every course draws from its own seeded ``random.Random`` and
all inputs (wordfreq lists, blocklists, hand-written sentences) are read in a fixed order, so the
same wordfreq version always yields byte-identical files. ``build_courses()`` returns the data
without writing anything; ``main()`` writes it.

Where the words come from:

* Words are taken from wordfreq's most frequent words (``VOCABULARY_SIZE`` per language), keeping
  lowercase ``str.isalpha()`` words that the blocklists do not flag. Contractions such as "don't"
  (only in hand-written sentences) must appear in the same top list as they are.
* Generated lessons additionally skip tokens that are poor typing material: words without a
  vowel (mostly abbreviations), single letters other than real one-letter words, letters repeated
  three times, and the names, abbreviations and interjections listed in ``NOT_PRACTICE``.
* Letter lessons favour the keys they introduce: most words contain one of the new letters.
  Until enough real words exist (the first lessons of each keyboard course), short drills of the
  introduced letters ("fff jjj fj jf") fill the lesson.
* Capitals, punctuation, digits and the Speed Building paragraphs are hand-written sentences;
  the generator picks and orders them, and checks every word against the same vocabulary.

Blocklists (``blocklist_en.txt``, ``blocklist_ru.txt``): one lowercase entry per line, "#" starts
a comment. A plain entry matches the whole word; an entry ending in "*" is a stem and matches every
word starting with it. Russian profanity is mostly listed by stem because it inflects heavily
(e.g. one stem covers every case and tense); before matching, Russian "ё" is read as "е".
``is_offensive()`` is the public check, shared with the coach.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from wordfreq import top_n_list

from ..text import lesson_text_errors, normalise

CURRICULUM_DIR = Path(__file__).resolve().parent
PYTHON_DIR = CURRICULUM_DIR / "python"

VOCABULARY_SIZE = {"en": 30_000, "ru": 50_000}
"""How many of wordfreq's most frequent words each language draws from."""

VOWELS = {"en": frozenset("aeiouy"), "ru": frozenset("аеёиоуыэюя")}
ONE_LETTER_WORDS = {"en": frozenset("a"), "ru": frozenset("авиксоуя")}


def _wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


NOT_PRACTICE: dict[str, frozenset[str]] = {
    # Real tokens of the frequency lists that would look like typos in a lowercase drill:
    # abbreviations, interjections and foreign words, then names, places, and words English
    # always capitalises; and grim words that read badly next to random neighbours. Only words
    # that generated lessons could pick are listed.
    "en": _wordset(
        """
        aa aaa ada adhd afl aga ahh ahl aj ak aka al ala alf alfa als asa asd asl da dada dah
        dahl dak dal das de del di dj ds ed el etc faa fas fda ffa fla fsa ga gaga gah gonna hah
        hahah hahahaha haha hahaha hal halal hajj id ii il ja jk ka kal kg la lakh lakhs lal
        lala las le lol ok re sa saas sal sas se sha ska uk usa wanna co non gal ha af ag fa ai
        aids des eh fi fifa li amazon eddie idk jake si les
        alaska ali allah america american asia assad australia brazil british china dallas
        david delhi dhaka england english europe european french george god haas india iraq
        isis israel jaffa james jeff jesus john lee lisa london michael paul russia salah
        sasha shah washington york
        january february april june july august september october november december
        monday tuesday wednesday thursday friday saturday sunday
        attack attacks blood bomb crime dead death deaths die died dies disease diseases drug
        drugs dying gun guns hate illegal jail kill killed killer killing kills murder shoot
        shot suicide war wars weapons
        """
    ),
    "ru": _wordset(
        """
        аа ааа ав ава ад ада ал ала ан ао ап апр ар вв вдв вл вов вып дао дж дл долл доп др ды
        даа джо дфо ла лао ло ов од ол ола олд оо ооо оао оон оп ор па пво пр пра ра рао рф ро
        тыс фа фо фор оф офф проф жа сша ва овд аж апл ролл лара лора олаф паоло пао де ред пер
        алла аллы анна аврора варвара ван вова влад влада владимир давыдов давыдова джон джона
        джордж джорджа дон европа европе европы елена жорж иван италии лавров лаврова лада лав
        лола лондон лондоне лова москве москва москвы орлов орлова павел павла павлов павлова
        попов попова попа россия россии украина украины форд форда фролов фролова афро
        военно военное военные война войны вражда вражды смерти смерть убил убит оружие
        """
    ),
}


# Blocklists -------------------------------------------------------------------------------------


@cache
def _blocklist(language: str) -> tuple[frozenset[str], tuple[str, ...]]:
    """(whole words, stems) of the language's blocklist; empty for languages without one."""
    path = CURRICULUM_DIR / f"blocklist_{language}.txt"
    if language not in VOCABULARY_SIZE or not path.exists():
        return frozenset(), ()
    words: set[str] = set()
    stems: list[str] = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        entry = _fold(raw.strip().lower(), language)
        if not entry or entry.startswith("#"):
            continue
        if entry.endswith("*"):
            stems.append(entry[:-1])
        else:
            words.add(entry)
    return frozenset(words), tuple(sorted(stems))


def _fold(word: str, language: str) -> str:
    return word.replace("ё", "е") if language == "ru" else word


def is_offensive(word: str, language: str) -> bool:
    """Whether the word is on the language's blocklist (whole word, or starts with a listed
    stem). Languages without a blocklist ("python") never flag anything."""
    words, stems = _blocklist(language)
    folded = _fold(word.strip().lower(), language)
    return folded in words or folded.startswith(stems)


# Vocabulary ------------------------------------------------------------------------------------


@cache
def vocabulary(language: str) -> tuple[str, ...]:
    """Lowercase alphabetic words of the top list, most frequent first, without offensive ones."""
    return tuple(
        word
        for word in top_n_list(language, VOCABULARY_SIZE[language])
        if word.isalpha() and word == word.lower() and not is_offensive(word, language)
    )


@cache
def contractions(language: str) -> frozenset[str]:
    """Words with an apostrophe ("don't") in the same top list, without offensive ones."""
    return frozenset(
        word
        for word in top_n_list(language, VOCABULARY_SIZE[language])
        if "'" in word
        and all(part.isalpha() for part in word.split("'"))
        and not is_offensive(word.replace("'", ""), language)
    )


@cache
def practice_words(language: str) -> tuple[str, ...]:
    """The vocabulary minus tokens that are poor typing material, most frequent first."""
    vowels = VOWELS[language]
    return tuple(
        word
        for word in vocabulary(language)
        if (len(word) > 1 or word in ONE_LETTER_WORDS[language])
        and vowels & set(word)
        and not re.search(r"(.)\1\1", word)
        and word not in NOT_PRACTICE[language]
    )


WORD_RE = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")


def words_of(text: str) -> list[str]:
    """The lowercase words of a lesson: letter runs, with inner apostrophes kept ("don't");
    punctuation, digits and hyphens separate words."""
    return WORD_RE.findall(text.lower())


def is_known_word(word: str, language: str) -> bool:
    if "'" in word:
        return word in contractions(language)
    return word in _vocabulary_set(language)


@cache
def _vocabulary_set(language: str) -> frozenset[str]:
    return frozenset(vocabulary(language))


# Lesson plans ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    title: str
    new_keys: str = ""
    """Every character this lesson allows for the first time, space-separated."""
    drills: float = 0.0
    """Share of letter drills among the tokens, for the first lessons with few real words."""
    focus: str = ""
    """Letters a review lesson favours and must contain (letter lessons favour their new
    letters)."""
    sentences: tuple[str, ...] = ()
    """Hand-written sentences to pick from instead of generated words."""


@dataclass(frozen=True)
class Bounds:
    shortest: int
    longest: int
    target_low: int
    target_high: int


KEYBOARD_BOUNDS = Bounds(shortest=150, longest=400, target_low=260, target_high=330)
SPEED_BOUNDS = Bounds(shortest=150, longest=500, target_low=400, target_high=480)
CODE_BOUNDS = Bounds(shortest=150, longest=600, target_low=0, target_high=0)

DRILL_LESSONS = {"touch-typing-fundamentals": 4, "osnovy-slepoy-pechati": 2}
"""How many first lessons of each course may contain drills instead of real words."""

FUNDAMENTALS: tuple[Plan, ...] = (
    Plan("Home row: F and J", "f j", drills=1.0),
    Plan("Home row: D and K", "d k", drills=1.0),
    Plan("Home row: S and L", "s l", drills=1.0),
    Plan("Home row: A and semicolon", "a ;", drills=0.35),
    Plan("Home row: G and H", "g h"),
    Plan("Home row review"),
    Plan("Top row: E and I", "e i"),
    Plan("Top row: R and U", "r u"),
    Plan("Top row: T and Y", "t y"),
    Plan("Top row: O and W", "o w"),
    Plan("Top row: P and Q", "p q"),
    Plan("Review: home and top rows", focus="pwy"),
    Plan("Bottom row: N and M", "n m"),
    Plan("Bottom row: C and V", "c v"),
    Plan("Bottom row: B, X and Z", "b x z"),
    Plan("All 26 letters", focus="abcdefghijklmnopqrstuvwxyz"),
    Plan(
        "Capitals with the right Shift",
        "Q W E R T A S D F G Z X C V B",
        sentences=(
            "Anna and Ben walk to school",
            "Sarah makes bread on Saturday",
            "David reads a book every evening",
            "Emma lives in a small town near Boston",
            "Tom takes the train to work",
            "We visit Grace in Texas every summer",
            "Cats sleep most of the day",
            "Zoe draws a red star",
            "Victor plays chess with Frank",
            "Dogs love long walks",
            "Rain falls on the roof",
            "Fresh bread smells good",
            "Ask a friend for help",
            "The sun rises in the east",
            "Every day is a new start",
            "Birds sing in the garden",
            "Alice and Carl swim on Sunday",
            "Good ideas take time",
            "Quiet rooms help us think",
            "Wednesday comes after Tuesday",
            "Do your best and relax",
        ),
    ),
    Plan(
        "Capitals with the left Shift",
        "Y U I O P H J K L N M",
        sentences=(
            "I like my new job",
            "Mary and John live in London",
            "On Monday I play the piano",
            "Paris is lovely in June",
            "Kate and Leo have a new puppy",
            "Maybe we can meet in Madrid",
            "Lunch is ready at noon",
            "Your plan looks good",
            "Hot tea helps on cold nights",
            "No one knew the answer",
            "July is a warm month",
            "Open the window and let in fresh air",
            "Keep your hands on the home row",
            "Learning takes time and patience",
            "Help others when you can",
            "Italy has many old cities",
            "Nick and Paul ride bikes in the park",
            "Music makes me happy",
            "Just keep going",
            "Lisa moved to Japan in May",
        ),
    ),
    Plan(
        "Period and comma",
        ". ,",
        sentences=(
            "The sun is warm today.",
            "We walk to the park, sit on a bench and watch the ducks.",
            "Tom reads, Anna writes, and the cat sleeps.",
            "Please close the door. It is cold outside.",
            "Buy milk, bread, eggs and apples.",
            "After lunch, we go back to work.",
            "The train was late, so we took a bus.",
            "Slow down. Accuracy comes first, and speed follows.",
            "In spring, the trees turn green.",
            "My brother, who lives in Paris, is a chef.",
            "Look at the screen, not at the keys.",
            "Yes, I will call you tomorrow.",
        ),
    ),
    Plan(
        "Apostrophe, colon and semicolon",
        "' :",
        sentences=(
            "It's a nice day; let's go for a walk.",
            "Don't rush: type slowly and you'll make fewer mistakes.",
            "We need three things: flour, sugar and butter.",
            "I'm sure she's right; we can't leave yet.",
            "Here's the plan: we'll meet at the station.",
            "The rule is simple: keep your eyes on the screen.",
            "They're late again; I think they've missed the bus.",
            "You've done well today.",
            "There's one more step: check your work.",
            "Note: the shop isn't open on Sunday.",
            "That's all for now; we'll continue tomorrow.",
        ),
    ),
    Plan(
        "Question and exclamation marks",
        "? !",
        sentences=(
            "Are you ready? Let's begin!",
            "What time is it? It's almost noon!",
            "Did you see that? What a great goal!",
            "Can you help me? Of course!",
            "Where are my keys? Oh, here they are!",
            "Is it raining? Take an umbrella!",
            "Why not try again? You can do it!",
            "Who wants more tea? I do!",
            "How was your trip? It was wonderful!",
            "Have you finished? Well done!",
        ),
    ),
    Plan(
        "Hyphen and quotation marks",
        '- "',
        sentences=(
            'She said, "Good morning!" and smiled.',
            "It is a well-known story.",
            '"Try again," said the coach, "and keep a steady pace."',
            "We bought a second-hand bike.",
            "My sister-in-law lives next door.",
            "This is a long-term plan.",
            'He called it "the best day ever".',
            "Take a short break - even a few minutes help.",
            'The word "type" has four letters.',
            "Our up-to-date map shows a one-way street.",
            '"Is it far?" asked Tom. "No, just a short walk."',
        ),
    ),
    Plan(
        "Digits 1, 2 and 3",
        "1 2 3",
        sentences=(
            "We have 3 cats and 2 dogs.",
            "Room 12 is on floor 1.",
            "Chapter 1 has 23 pages.",
            "Add 1 and 2 to get 3.",
            "She ran 13 miles in 2 hours.",
            "Flight 213 leaves at 11 tonight.",
            "There are 31 days in May.",
            "Bus 32 stops here every 12 minutes.",
            "Our team won 3 games and lost 1.",
            "The recipe needs 2 cups of flour and 3 eggs.",
            "Take 1 step at a time.",
        ),
    ),
    Plan(
        "Digits 4, 5 and 6",
        "4 5 6",
        sentences=(
            "My flat is on floor 4.",
            "We need 6 eggs and 5 apples.",
            "The game starts at 6:45.",
            "Page 64 has 15 new words.",
            "Take bus 56 to the station.",
            "A year has 365 days.",
            "He scored 46 points in 2 games.",
            "The hall seats 456 people.",
            "There are 52 weeks and 4 seasons in a year.",
            "Lesson 24 takes 15 minutes.",
            "Our street has 36 houses.",
        ),
    ),
    Plan(
        "Digits 7, 8, 9 and 0",
        "7 8 9 0",
        sentences=(
            "The shop opens at 9 and closes at 7.",
            "There are 100 cents in a dollar.",
            "In 1990, the city had 80 schools.",
            "The meeting is in room 708.",
            "Our team won 7 of 10 games.",
            "She was born in 1987.",
            "Call me at 9:30 tomorrow.",
            "The book has 290 pages and 18 chapters.",
            "Water boils at 100 degrees.",
            "The train leaves at 7:50 and arrives at 9:05.",
            "My phone number ends in 7890.",
        ),
    ),
    Plan(
        "Everything together",
        sentences=(
            'On 4 May 2021, Anna wrote: "We did it!"',
            "Is the meeting at 10:30 or 11:15?",
            "Their team scored 3 goals; ours scored 2.",
            "Don't forget: the deadline is Friday, 9 June.",
            "It's a 5-minute walk to the station.",
            '"How fast can you type?" she asked. "About 45 words a minute!"',
            "Buy 2 bags of rice, 12 eggs and 1 litre of milk.",
            "The score was 7-3 at half time.",
            "Quick, lazy or brave? The fox jumps over 8 dogs!",
        ),
    ),
)

# The home row comes first. П and Р come before Ф and Ж because no real Russian word can be typed
# with Ф and only а о в л ы д ж ф.
RUSSIAN: tuple[Plan, ...] = (
    Plan("Основной ряд: А и О", "а о", drills=0.7),
    Plan("Основной ряд: В и Л", "в л", drills=0.45),
    Plan("Основной ряд: Ы и Д", "ы д"),
    Plan("Основной ряд: П и Р", "п р"),
    Plan("Основной ряд: Ф и Ж", "ф ж"),
    Plan("Буквы Е и Н", "е н"),
    Plan("Буквы Т и И", "т и"),
    Plan("Буквы С и М", "с м"),
    Plan("Буквы К, Г и У", "к г у"),
    Plan("Буквы Я, Ь и Ш", "я ь ш"),
    Plan("Буквы Б, Ю и Ч", "б ю ч"),
    Plan("Буквы З, Х и Й", "з х й"),
    Plan("Буквы Э, Ц, Щ и Ъ", "э ц щ ъ"),
    Plan(
        "Заглавные буквы: правый Shift",
        "Й Ц У К Е Ф Ы В А П Я Ч С М И",
        sentences=(
            "Анна читает книгу",
            "Мама готовит ужин",
            "Сегодня тепло и солнечно",
            "Кошка спит на диване",
            "Иван живет в Москве",
            "Папа читает газету",
            "Яблоки растут в саду",
            "Каждый день мы учимся",
            "Утром идет дождь",
            "Цветы стоят на столе",
            "Вечером мы идем в парк",
            "Собака ждет хозяина",
            "Учитель задает вопрос",
            "Мария играет на пианино",
            "Все ждут лета",
            "Аня и Сергей едут в Казань",
            "Скоро начнется весна",
        ),
    ),
    Plan(
        "Заглавные буквы: левый Shift",
        "Н Г Ш Щ З Х Ъ Р О Л Д Ж Э Т Ь Б Ю",
        sentences=(
            "Ночью на небе светит луна",
            "Ольга живет в Берлине",
            "Руки лежат на столе",
            "Торопиться не нужно",
            "Летом мы едем на море",
            "Бабушка готовит обед",
            "Дети играют во дворе",
            "Завтра будет хороший день",
            "Жираф очень высокий",
            "Этот город очень красивый",
            "Хорошая музыка поднимает настроение",
            "Юля любит рисовать",
            "Голуби сидят на крыше",
            "Река шумит за лесом",
            "Щенок играет с мячом",
            "Дима и Лена живут в Риме",
            "Николай работает в Лондоне",
            "Отдых нужен всем",
        ),
    ),
    Plan(
        "Точка и запятая",
        ". ,",
        sentences=(
            "Утром я пью чай, а вечером кофе.",
            "На улице тепло, светит солнце.",
            "Мы купили хлеб, молоко, сыр и яблоки.",
            "Пишите медленно. Точность важнее скорости.",
            "Когда идет дождь, мы сидим дома.",
            "Дети читают, пишут и рисуют.",
            "Поезд опоздал, поэтому мы взяли такси.",
            "Смотрите на экран, а не на руки.",
            "Осенью листья падают на землю.",
            "Если устали, сделайте перерыв.",
            "Пальцы лежат на основном ряду.",
        ),
    ),
)

SPEED_WORDS: tuple[tuple[str, int], ...] = (
    ("The 100 most common words", 100),
    ("The 200 most common words", 200),
    ("The 500 most common words", 500),
    ("The 1000 most common words", 1000),
)

SPEED_PARAGRAPHS: tuple[tuple[str, str], ...] = (
    (
        "Short sentences",
        "The day is bright. We have time. She reads a good book. He makes a cup of tea. "
        "The children play in the garden. A dog runs after the ball. We talk about the "
        "weather. The shop is open until six. They walk home together. It is a quiet evening. "
        "The lights go on in the street. Everyone is ready for dinner.",
    ),
    (
        "A morning routine",
        "Every morning, I get up at seven and open the window. First, I make coffee and read "
        "the news for a few minutes. Then I take a shower, get dressed and eat a simple "
        "breakfast: toast, fruit and yogurt. At half past eight, I leave the house and walk to "
        "the station. The walk takes about fifteen minutes, and it is the best part of the day.",
    ),
    (
        "At the market",
        "On Saturday, the market in the town square is full of people. Farmers sell fresh "
        "vegetables, bread, cheese and flowers. I usually buy apples, carrots and a large loaf "
        "of bread. The woman at the cheese stall always says hello and lets me try something "
        "new. Prices are fair, the food is good, and there is music in the air.",
    ),
    (
        "A letter to a friend",
        "Dear Sam, thank you for your letter. I was happy to hear that you have found a new "
        "flat near the river. Our news is simple: the garden is green, the children are well, "
        "and work is busy but interesting. We hope to visit you in the summer, if that suits "
        "you. Let me know which weeks are best for you. With warm wishes, Kate.",
    ),
    (
        "Questions and answers",
        "Where do you work? I work at a small library in the city centre. What do you do "
        "there? I help people find books and answer their questions. Do you like it? Yes, "
        "very much! Every day is different, and I learn something new. Is it quiet? Most of "
        "the time, but on Saturday mornings it is full of children who come for story time.",
    ),
    (
        "Travelling by train",
        "The train left the station at ten o'clock. We found two seats by the window and "
        "watched the city give way to fields, rivers and small villages. A man with a trolley "
        "sold sandwiches, tea and coffee. My sister read a novel, and I wrote a few postcards. "
        "After three hours, we arrived in a quiet town by the sea, where the air smelled of "
        "salt.",
    ),
    (
        "Learning a new skill",
        "Learning to type well is like learning to play an instrument. At first, every "
        "movement feels slow and strange, and it is tempting to look at the keys. Don't! Keep "
        "your eyes on the screen and trust your fingers. Short, regular practice works better "
        "than long sessions once a week. After a few weeks, the keys start to feel familiar, "
        "and your speed grows without any extra effort.",
    ),
    (
        "Numbers and dates",
        "Our school was founded in 1875 and today has 640 students. The new library opened "
        "on 12 March 2019, with more than 25,000 books. It is open from 8:30 to 17:00 on "
        "weekdays and from 10:00 to 14:00 on Saturdays. Last year, 93 percent of our students "
        "passed their final exams, and 48 of them went on to study at university.",
    ),
)

CODE_LESSONS: tuple[tuple[str, str], ...] = (
    ("Functions and return values", "01-functions.py.txt"),
    ("Loops and conditions", "02-loops.py.txt"),
    ("List, dict and set comprehensions", "03-comprehensions.py.txt"),
    ("F-strings and formatting", "04-f-strings.py.txt"),
    ("Dataclasses", "05-dataclasses.py.txt"),
    ("Context managers", "06-context-managers.py.txt"),
    ("Type hints and protocols", "07-typing.py.txt"),
    ("Exceptions", "08-exceptions.py.txt"),
)


# Text generation -------------------------------------------------------------------------------


def favours_new_keys(text: str, new_keys: str) -> bool:
    """Whether the lesson practises its new keys noticeably: at least half of the words contain
    a new letter and each new letter, digit or mark appears three times or more; a capitals
    lesson starts at least a fifth of its words with one of its capitals."""
    keys = new_keys.split()
    tokens = text.split()
    letters = [key for key in keys if key.isalpha() and key.islower()]
    capitals = {key for key in keys if key.isalpha() and key.isupper()}
    others = [key for key in keys if not key.isalpha()]
    if letters and 2 * sum(any(key in token for key in letters) for token in tokens) < len(tokens):
        return False
    if any(text.count(key) < 3 for key in [*letters, *others]):
        return False
    starts = sum(token.lstrip('"')[:1] in capitals for token in tokens)
    return not capitals or 5 * starts >= len(tokens)


def _generate(make: Callable[[], str], accept: Callable[[str], bool]) -> str:
    for _ in range(2000):
        text = make()
        if accept(text):
            return text
    raise ValueError(f"could not generate an acceptable lesson (last try: {text!r})")


def _join_up_to(pick: Callable[[list[str]], str | None], target: int) -> str:
    """Space-joined tokens from `pick` (given the tokens so far) while the text fits `target`."""
    tokens: list[str] = []
    length = -1
    while True:
        token = pick(tokens)
        if token is None or length + 1 + len(token) > target:
            return " ".join(tokens)
        tokens.append(token)
        length += 1 + len(token)


def _word_pool(language: str, allowed: set[str], focus: set[str]) -> tuple[list[str], list[str]]:
    """(common words, words with a focus letter), most frequent first. The common words are the
    150 most frequent typeable ones; the focus words are the most frequent ones for each focus
    letter in turn, so that rare letters get their share, reaching further down the frequency
    list only while few typeable words contain them."""
    pool: list[str] = []
    fresh: list[str] = []
    quota = dict.fromkeys(focus, max(8, 40 // max(len(focus), 1)))
    for word in practice_words(language):
        letters = set(word)
        if not letters <= allowed:
            continue
        if len(pool) < 150:
            pool.append(word)
        if any(quota[letter] > 0 for letter in letters & focus):
            fresh.append(word)
            for letter in letters & focus:
                quota[letter] -= 1
        if len(pool) >= 150 and all(left <= 0 for left in quota.values()):
            break
    return pool, fresh


def _drill_token(rng: random.Random, new: list[str], known: list[str], language: str) -> str:
    while True:
        if rng.random() < 0.3:
            token = rng.choice(new) * 3
        else:
            token = "".join(
                rng.choice(new) if rng.random() < 0.7 else rng.choice(known)
                for _ in range(rng.randint(2, 4))
            )
        if not is_offensive(token, language):
            return token


def _word_text(
    rng: random.Random, plan: Plan, allowed: set[str], language: str, bounds: Bounds
) -> str:
    new = sorted(set(plan.new_keys.split()))
    focus = set(new) | set(plan.focus)
    pool, fresh = _word_pool(language, allowed, {key for key in focus if key.isalpha()})
    known = sorted(allowed - {" "})
    favour = 0.7 if fresh else 0.0

    def pick(tokens: list[str]) -> str:
        for _ in range(100):
            if rng.random() < plan.drills or not pool:
                token = _drill_token(rng, new, known, language)
            elif rng.random() < favour:
                token = rng.choice(fresh)
            else:
                token = rng.choice(pool)
            if token not in tokens[-4:]:
                return token
        raise ValueError(f"too few words for “{plan.title}”")

    def make() -> str:
        return _join_up_to(pick, rng.randint(bounds.target_low, bounds.target_high))

    def accept(text: str) -> bool:
        if not bounds.shortest <= len(text) <= bounds.longest:
            return False
        if plan.focus and not set(plan.focus) <= set(text):
            return False
        return favours_new_keys(text, plan.new_keys)

    return _generate(make, accept)


def _sentence_text(rng: random.Random, plan: Plan, bounds: Bounds) -> str:
    def make() -> str:
        order = list(plan.sentences)
        rng.shuffle(order)
        iterator = iter(order)
        return _join_up_to(
            lambda _tokens: next(iterator, None),
            rng.randint(bounds.target_low, bounds.target_high),
        )

    def accept(text: str) -> bool:
        return bounds.shortest <= len(text) <= bounds.longest and favours_new_keys(
            text, plan.new_keys
        )

    return _generate(make, accept)


def _common_words_text(rng: random.Random, top: int) -> str:
    """A run of words drawn from the `top` most frequent English words."""
    common = set(top_n_list("en", top))
    pool = [word for word in practice_words("en") if word in common]

    def pick(tokens: list[str]) -> str:
        while (token := rng.choice(pool)) in tokens[-6:]:
            pass
        return token

    def make() -> str:
        return _join_up_to(pick, rng.randint(SPEED_BOUNDS.target_low, SPEED_BOUNDS.target_high))

    return _generate(make, lambda text: SPEED_BOUNDS.shortest <= len(text) <= SPEED_BOUNDS.longest)


def _check_text(
    text: str, *, title: str, layout: str, language: str, allowed: set[str] | None, real: bool
) -> None:
    """Raise if the text breaks a shipped-content rule (the tests check the same rules)."""
    problems = list(lesson_text_errors(text, layout))
    if normalise(text) != text:
        problems.append("the text is not normalised")
    if allowed is not None and set(text) - allowed:
        problems.append(f"keys not introduced yet: {sorted(set(text) - allowed)}")
    if language in VOCABULARY_SIZE:
        words = words_of(text)
        offensive = [word for word in words if is_offensive(word.replace("'", ""), language)]
        unknown = [word for word in words if real and not is_known_word(word, language)]
        if offensive:
            problems.append(f"offensive words: {offensive}")
        if unknown:
            problems.append(f"words outside the vocabulary: {unknown}")
    if problems:
        raise ValueError(f"lesson “{title}”: {'; '.join(problems)}")


def _wpm_ramp(count: int, first: int, last: int) -> list[int]:
    return [first + round((last - first) * index / (count - 1)) for index in range(count)]


# Courses ---------------------------------------------------------------------------------------


def _keyboard_lessons(
    slug: str, plans: Sequence[Plan], *, language: str, layout: str, seed: int
) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    allowed = {" "}
    texts = []
    for number, plan in enumerate(plans, start=1):
        allowed |= set(plan.new_keys.split())
        if plan.sentences:
            text = _sentence_text(rng, plan, KEYBOARD_BOUNDS)
        else:
            text = _word_text(rng, plan, allowed, language, KEYBOARD_BOUNDS)
        _check_text(
            text,
            title=plan.title,
            layout=layout,
            language=language,
            allowed=allowed,
            real=number > DRILL_LESSONS[slug],
        )
        texts.append(text)
    return [
        {"title": plan.title, "new_keys": plan.new_keys, "text": text}
        for plan, text in zip(plans, texts, strict=True)
    ]


def _finish(
    lessons: list[dict[str, Any]], *, wpm: tuple[int, int], premium_from: int
) -> list[dict[str, Any]]:
    """Add rising target speeds and mark lessons from number `premium_from` on as premium."""
    for number, (lesson, target) in enumerate(
        zip(lessons, _wpm_ramp(len(lessons), *wpm), strict=True), start=1
    ):
        lesson["target_wpm"] = target
        lesson["is_premium"] = number >= premium_from
    return lessons


def fundamentals_course() -> dict[str, Any]:
    slug = "touch-typing-fundamentals"
    lessons = _keyboard_lessons(slug, FUNDAMENTALS, language="en", layout="qwerty", seed=1)
    return {
        "slug": slug,
        "title": "Touch Typing Fundamentals",
        "description": (
            "Learn to type without looking at the keyboard. You start on the home row, add a few "
            "new keys in every lesson and finish with capitals, punctuation and digits. As soon "
            "as you know enough letters, you practise on real English words."
        ),
        "language": "en",
        "level": "beginner",
        "layout": "qwerty",
        "is_premium": False,
        "position": 1,
        "lessons": _finish(lessons, wpm=(10, 35), premium_from=21),
    }


def speed_course() -> dict[str, Any]:
    rng = random.Random(2)
    lessons: list[dict[str, Any]] = []
    for title, top in SPEED_WORDS:
        lessons.append({"title": title, "new_keys": "", "text": _common_words_text(rng, top)})
    for title, text in SPEED_PARAGRAPHS:
        lessons.append({"title": title, "new_keys": "", "text": text})
    for lesson in lessons:
        _check_text(
            lesson["text"],
            title=lesson["title"],
            layout="qwerty",
            language="en",
            allowed=None,
            real=True,
        )
        if not SPEED_BOUNDS.shortest <= len(lesson["text"]) <= SPEED_BOUNDS.longest:
            raise ValueError(f"lesson “{lesson['title']}” has {len(lesson['text'])} characters")
    return {
        "slug": "speed-building",
        "title": "Speed Building",
        "description": (
            "You know where every key is; now build speed and rhythm. Warm up with the most "
            "common English words, then type natural sentences with capitals, punctuation and "
            "numbers."
        ),
        "language": "en",
        "level": "intermediate",
        "layout": "qwerty",
        "is_premium": False,
        "position": 2,
        "lessons": _finish(lessons, wpm=(30, 60), premium_from=len(lessons) - 3),
    }


def russian_course() -> dict[str, Any]:
    slug = "osnovy-slepoy-pechati"
    lessons = _keyboard_lessons(slug, RUSSIAN, language="ru", layout="jcuken", seed=3)
    return {
        "slug": slug,
        "title": "Основы слепой печати",
        "description": (
            "Научитесь печатать вслепую на русской раскладке ЙЦУКЕН. Курс начинается с основного "
            "ряда, в каждом уроке добавляет несколько новых клавиш и заканчивается заглавными "
            "буквами, точкой и запятой. С третьего урока вы печатаете настоящие русские слова."
        ),
        "language": "ru",
        "level": "beginner",
        "layout": "jcuken",
        "is_premium": False,
        "position": 3,
        "lessons": _finish(lessons, wpm=(10, 30), premium_from=len(lessons) - 2),
    }


def code_course() -> dict[str, Any]:
    lessons = []
    for title, filename in CODE_LESSONS:
        text = normalise((PYTHON_DIR / filename).read_text(encoding="utf-8"))
        _check_text(text, title=title, layout="qwerty", language="python", allowed=None, real=False)
        if not CODE_BOUNDS.shortest <= len(text) <= CODE_BOUNDS.longest:
            raise ValueError(f"lesson “{title}” has {len(text)} characters")
        lessons.append({"title": title, "new_keys": "", "text": text})
    return {
        "slug": "typing-code-python",
        "title": "Typing Code: Python",
        "description": (
            "Type real, idiomatic Python: functions, comprehensions, dataclasses, context "
            "managers, f-strings and type hints. Practise brackets, colons, quotes and "
            "indentation until they flow as easily as words."
        ),
        "language": "python",
        "level": "advanced",
        "layout": "qwerty",
        "is_premium": True,
        "position": 4,
        "lessons": _finish(lessons, wpm=(20, 35), premium_from=1),
    }


def build_courses() -> dict[str, dict[str, Any]]:
    """Every shipped course, keyed by slug, in catalogue order. Writes nothing."""
    courses = [fundamentals_course(), speed_course(), russian_course(), code_course()]
    return {course["slug"]: course for course in courses}


def dump(course: dict[str, Any]) -> str:
    return json.dumps(course, ensure_ascii=False, indent=2) + "\n"


def write(courses: Iterable[dict[str, Any]], directory: Path = CURRICULUM_DIR) -> list[Path]:
    paths = []
    for course in courses:
        path = directory / f"{course['slug']}.json"
        path.write_text(dump(course), encoding="utf-8")
        paths.append(path)
    return paths


def main() -> None:
    courses = build_courses()
    for path in write(courses.values()):
        course = courses[path.stem]
        print(f"{path.name}: {len(course['lessons'])} lessons")


if __name__ == "__main__":
    main()
