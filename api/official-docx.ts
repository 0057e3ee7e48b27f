import {
  AlignmentType,
  BorderStyle,
  convertMillimetersToTwip,
  Document,
  Packer,
  Paragraph,
  Table,
  TableCell,
  TableRow,
  TextRun,
  WidthType,
} from 'docx';

/**
 * A Word document in the layout offices use for official documents (公文格式, after GB/T 9704): A4,
 * margins 37 / 35 / 28 / 26 mm; the title in 方正小标宋简体 二号 centred; the issuing line and dates in
 * 仿宋 三号; first-level headings 一、二、 in 黑体 三号; body in 仿宋_GB2312 三号 with a two-character
 * indent and 28-point line spacing; tables in 仿宋 小四 with 黑体 headers. Fonts a machine lacks fall
 * back in Word to its own; the layout stays.
 */

export type OfficialBlock =
  | { kind: 'heading'; text: string }
  | { kind: 'paragraph'; text: string }
  | { kind: 'table'; headers: string[]; rows: (string | number | null)[][] };

export type OfficialDocument = {
  title: string;
  /** Under the title: who issues it and which period (e.g. 重大项目帮办代办服务室 · 2026年11月). */
  subtitle: string;
  blocks: OfficialBlock[];
  /** The closing line, right-aligned (the date the document was made). */
  dateLine: string;
};

const TITLE = '方正小标宋简体';
const HEITI = '黑体';
const FANGSONG = '仿宋_GB2312';
const LATIN = 'Times New Roman';
const font = (eastAsia: string) => ({ ascii: LATIN, hAnsi: LATIN, eastAsia, cs: LATIN });
/** Sizes in half-points: 二号 22 pt, 三号 16 pt, 小四 12 pt. */
const SIZE = { erhao: 44, sanhao: 32, xiaosi: 24 } as const;
/** Exactly 28 pt between lines (in twentieths of a point). */
const LINE = { line: 560, lineRule: 'exact' as const };

/** 一 … 十九, for the first-level headings. */
export function chineseOrdinal(n: number): string {
  const digits = ['', '一', '二', '三', '四', '五', '六', '七', '八', '九'];
  if (n < 10) return digits[n]!;
  return `${n >= 20 ? digits[Math.floor(n / 10)] : ''}十${digits[n % 10]}`;
}

const cellBorder = { style: BorderStyle.SINGLE, size: 4, color: '000000' };

function tableOf(headers: string[], rows: (string | number | null)[][]): Table {
  const cell = (text: string, header: boolean) =>
    new TableCell({
      borders: { top: cellBorder, bottom: cellBorder, left: cellBorder, right: cellBorder },
      children: [
        new Paragraph({
          alignment: AlignmentType.CENTER,
          children: [new TextRun({ text, font: font(header ? HEITI : FANGSONG), size: SIZE.xiaosi })],
        }),
      ],
    });
  return new Table({
    width: { size: 100, type: WidthType.PERCENTAGE },
    rows: [
      new TableRow({ tableHeader: true, children: headers.map((h) => cell(h, true)) }),
      ...rows.map((r) => new TableRow({ children: r.map((v) => cell(v === null ? '—' : String(v), false)) })),
    ],
  });
}

/** The document as .docx bytes. */
export async function officialDocx(d: OfficialDocument): Promise<Buffer> {
  let section = 0;
  const children: (Paragraph | Table)[] = [
    new Paragraph({
      alignment: AlignmentType.CENTER,
      spacing: { after: 240 },
      children: [new TextRun({ text: d.title, font: font(TITLE), size: SIZE.erhao })],
    }),
    new Paragraph({
      alignment: AlignmentType.CENTER,
      spacing: { after: 240 },
      children: [new TextRun({ text: d.subtitle, font: font(FANGSONG), size: SIZE.sanhao })],
    }),
  ];
  for (const b of d.blocks) {
    if (b.kind === 'heading') {
      section += 1;
      children.push(
        new Paragraph({
          indent: { firstLine: 640 },
          spacing: LINE,
          children: [
            new TextRun({
              text: `${chineseOrdinal(section)}、${b.text}`,
              font: font(HEITI),
              size: SIZE.sanhao,
            }),
          ],
        }),
      );
    } else if (b.kind === 'paragraph') {
      children.push(
        new Paragraph({
          indent: { firstLine: 640 },
          spacing: LINE,
          children: [new TextRun({ text: b.text, font: font(FANGSONG), size: SIZE.sanhao })],
        }),
      );
    } else {
      children.push(tableOf(b.headers, b.rows), new Paragraph({ children: [] }));
    }
  }
  children.push(
    new Paragraph({
      alignment: AlignmentType.RIGHT,
      spacing: { before: 480, ...LINE },
      children: [new TextRun({ text: d.dateLine, font: font(FANGSONG), size: SIZE.sanhao })],
    }),
  );
  const doc = new Document({
    title: d.title,
    creator: 'Greenlane',
    styles: { default: { document: { run: { font: font(FANGSONG), size: SIZE.sanhao } } } },
    sections: [
      {
        properties: {
          page: {
            size: { width: convertMillimetersToTwip(210), height: convertMillimetersToTwip(297) },
            margin: {
              top: convertMillimetersToTwip(37),
              bottom: convertMillimetersToTwip(35),
              left: convertMillimetersToTwip(28),
              right: convertMillimetersToTwip(26),
            },
          },
        },
        children,
      },
    ],
  });
  return Packer.toBuffer(doc);
}
