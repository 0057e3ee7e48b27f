import { CalendarYear } from './calendar';
import y2017 from './data/calendar-cn/2017.json';
import y2018 from './data/calendar-cn/2018.json';
import y2019 from './data/calendar-cn/2019.json';
import y2020 from './data/calendar-cn/2020.json';
import y2021 from './data/calendar-cn/2021.json';
import y2022 from './data/calendar-cn/2022.json';
import y2023 from './data/calendar-cn/2023.json';
import y2024 from './data/calendar-cn/2024.json';
import y2025 from './data/calendar-cn/2025.json';
import y2026 from './data/calendar-cn/2026.json';
import y2027 from './data/calendar-cn/2027.json';

/**
 * The holiday calendars shipped with the code: State Council notices 2017–2027 from NateScarlet/holiday-cn
 * (MIT, see data/calendar-cn/LICENSE), copied verbatim. 2027 is empty: its notice was not yet published.
 * A plain JSON import (no import attribute) because tsc, tsx, vitest and the workflow bundler (webpack) all
 * accept it. Each file goes through the schema, so a bad copy fails at import, not in a deadline.
 */
export const shippedCalendarYears: readonly CalendarYear[] = Object.freeze(
  [y2017, y2018, y2019, y2020, y2021, y2022, y2023, y2024, y2025, y2026, y2027].map((y) =>
    CalendarYear.parse(y),
  ),
);
