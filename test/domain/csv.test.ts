import { describe, expect, it } from 'vitest';
import { BOM, type CsvColumn, csvField, toCsv } from '../../domain/csv';

type Row = { code: string; name: string; days: number | null; late: boolean };
const columns: CsvColumn<Row>[] = [
  { header: '事项编码', value: (r) => r.code },
  { header: '事项名称', value: (r) => r.name },
  { header: '已用工作日', value: (r) => r.days },
  { header: '是否超期', value: (r) => r.late },
];

describe('csvField (RFC 4180)', () => {
  it('leaves plain fields and Chinese text alone', () => {
    expect(csvField('建设工程规划许可证')).toBe('建设工程规划许可证');
    expect(csvField('ZJ-01')).toBe('ZJ-01');
    expect(csvField(12)).toBe('12');
    expect(csvField(-3)).toBe('-3');
  });

  it('quotes commas, quotes, CR and LF, and doubles inner quotes', () => {
    expect(csvField('住建局,规划科')).toBe('"住建局,规划科"');
    expect(csvField('他说"尽快"')).toBe('"他说""尽快"""');
    expect(csvField('第一行\n第二行')).toBe('"第一行\n第二行"');
    expect(csvField('a\r\nb')).toBe('"a\r\nb"');
    expect(csvField(' 前后空格 ')).toBe('" 前后空格 "');
  });

  it('writes null as empty and booleans as 是/否', () => {
    expect(csvField(null)).toBe('');
    expect(csvField(undefined)).toBe('');
    expect(csvField(true)).toBe('是');
    expect(csvField(false)).toBe('否');
    expect(csvField(Number.NaN)).toBe('');
  });

  it('defuses text a spreadsheet would run as a formula', () => {
    expect(csvField('=HYPERLINK("http://x")')).toBe(`"'=HYPERLINK(""http://x"")"`);
    expect(csvField('+86 138')).toBe("'+86 138");
    expect(csvField('@sum')).toBe("'@sum");
  });

  it('defuses the fullwidth formula signs a Chinese input method types (＝ ＋ － ＠)', () => {
    expect(csvField('＝HYPERLINK("http://x")')).toBe(`"'＝HYPERLINK(""http://x"")"`);
    expect(csvField('＋1')).toBe("'＋1");
    expect(csvField('－1+2')).toBe("'－1+2");
    expect(csvField('＠SUM(A1)')).toBe("'＠SUM(A1)");
    expect(csvField('项目＝医院')).toBe('项目＝医院');
  });
});

describe('toCsv', () => {
  const rows: Row[] = [
    { code: 'A', name: '立项用地规划许可', days: 4, late: false },
    { code: 'B', name: '施工图审查,含"消防"\n（补正 2 次）', days: null, late: true },
  ];
  const text = toCsv(columns, rows);

  it('starts with a UTF-8 BOM so Excel reads Chinese correctly', () => {
    expect(text.startsWith(BOM)).toBe(true);
    expect(BOM).toBe('\uFEFF');
    expect([...Buffer.from(text, 'utf8').subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
  });

  it('writes a header record and one CRLF-terminated record per row', () => {
    expect(text).toBe(
      `${BOM}事项编码,事项名称,已用工作日,是否超期\r\n` +
        'A,立项用地规划许可,4,否\r\n' +
        'B,"施工图审查,含""消防""\n（补正 2 次）",,是\r\n',
    );
  });

  it('round-trips through a strict RFC 4180 reader', () => {
    expect(parseCsv(text.slice(1))).toEqual([
      ['事项编码', '事项名称', '已用工作日', '是否超期'],
      ['A', '立项用地规划许可', '4', '否'],
      ['B', '施工图审查,含"消防"\n（补正 2 次）', '', '是'],
    ]);
  });

  it('writes only the header for no rows', () => {
    expect(toCsv(columns, [])).toBe(`${BOM}事项编码,事项名称,已用工作日,是否超期\r\n`);
  });
});

/** A minimal RFC 4180 reader: records end in CRLF; quoted fields may hold anything, "" is a quote. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let i = 0;
  while (i < text.length) {
    if (text[i] === '"') {
      i++;
      for (;;) {
        if (text[i] === '"' && text[i + 1] === '"') {
          field += '"';
          i += 2;
        } else if (text[i] === '"') break;
        else field += text[i++];
      }
      i++;
    } else if (text[i] === ',') {
      record.push(field);
      field = '';
      i++;
    } else if (text.startsWith('\r\n', i)) {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i += 2;
    } else field += text[i++];
  }
  expect(field).toBe(''); // the last record ended in CRLF
  return records;
}
