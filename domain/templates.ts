import type { z } from 'zod';
import type { ItemCode, Template, TimeLimit } from './catalog';

/**
 * Project templates: which catalog items a kind of project meets and in what order.
 * An entry without `prerequisites` runs on the catalog item's typical ones; entries set their own only
 * where the chain differs. Conditional items (flood zone, forest land, out-of-code high-rise, hazardous
 * chemicals …) are in the template so the secretary waives them while tailoring rather than having to
 * remember to add them. Both templates end in one sink, and every item leads to it, so the critical path
 * and the countdown to completion are well defined.
 */

type TemplateInput = z.input<typeof Template>;
type Entry = TemplateInput['items'][number];

const t = (code: ItemCode, prerequisites?: ItemCode[], committedLimit?: TimeLimit): Entry => ({
  code,
  ...(prerequisites ? { prerequisites } : {}),
  ...(committedLimit ? { committedLimit } : {}),
});
const wd = (days: number): TimeLimit => ({ days, dayType: 'working', estimate: true });

const UTILITIES = ['POWER', 'WATER-SUPPLY', 'GAS', 'DRAINAGE', 'TELECOM'];
/** Construction-phase permits; closed out (roads reinstated, green space restored) before joint acceptance. */
const SITE_PERMITS = ['ROAD-EXCAVATION', 'GREEN-SPACE', 'CONSTRUCTION-WASTE', 'NIGHT-WORKS'];

/**
 * Large government-invested building on allocated (划拨) land, e.g. a hospital or school: proposal, feasibility study, preliminary design and budget.
 * Stage 1: proposal → land pre-exam → feasibility (after energy, social-stability and climate reviews)
 * → land conversion → allocation → land-use planning permit. Stage 2: design scheme → preliminary design
 * and civil air defence → works planning permit. Stage 3: drawing review → fire design → tendering →
 * quality supervision → construction permit, which also waits for EIA, soil-and-water and flood items.
 * Stage 4: the separate acceptances, the utilities and the site permits → joint acceptance → filing →
 * real-estate registration (the sink).
 */
export const govBuildingTemplate: TemplateInput = {
  id: 'gov-building',
  nameZh: '政府投资房屋建筑类重大项目（划拨用地）',
  nameEn: 'Large government-invested building (allocated land)',
  category: 'government',
  items: [
    // Stage 1 and the evaluations feeding it; the studies with no prerequisite start at registration.
    t('PROPOSAL'),
    t('MINERAL-OVERLAY'),
    t('GEO-HAZARD'),
    t('ARCHAEOLOGY'),
    t('CLIMATE-FEASIBILITY'),
    t('FOREST-LAND'),
    t('SEISMIC-SAFETY'),
    t('FLOOD-IMPACT'),
    t('LAND-PREEXAM', ['PROPOSAL', 'MINERAL-OVERLAY']),
    t('ENERGY-REVIEW', ['PROPOSAL']),
    t('SOCIAL-STABILITY', ['PROPOSAL']),
    t('FEASIBILITY', [
      'PROPOSAL',
      'LAND-PREEXAM',
      'ENERGY-REVIEW',
      'SOCIAL-STABILITY',
      'CLIMATE-FEASIBILITY',
    ]),
    t('EIA', ['PROPOSAL']),
    t('SOIL-WATER', ['PROPOSAL']),
    // Land: the conversion file needs the geo-hazard assessment and the forest-land consent.
    t('LAND-CONVERSION', ['LAND-PREEXAM', 'FEASIBILITY', 'GEO-HAZARD', 'FOREST-LAND']),
    t('LAND-ALLOCATION', ['LAND-CONVERSION', 'ARCHAEOLOGY']),
    t('LAND-USE-PLANNING-PERMIT', ['FEASIBILITY', 'LAND-PREEXAM', 'LAND-ALLOCATION']),
    // Stage 2.
    t('DESIGN-SCHEME'),
    t('PRELIM-DESIGN', ['FEASIBILITY', 'DESIGN-SCHEME', 'SEISMIC-SAFETY']),
    t('SEISMIC-HIGHRISE'),
    t('CIVIL-DEFENCE'),
    t('WORKS-PLANNING-PERMIT', [
      'LAND-USE-PLANNING-PERMIT',
      'DESIGN-SCHEME',
      'PRELIM-DESIGN',
      'CIVIL-DEFENCE',
    ]),
    // Stage 3.
    t('DRAWING-REVIEW', ['WORKS-PLANNING-PERMIT', 'SEISMIC-HIGHRISE']),
    t('FIRE-DESIGN'),
    t('TENDER', ['PRELIM-DESIGN', 'DRAWING-REVIEW', 'FIRE-DESIGN']),
    t('QUALITY-SUPERVISION', ['TENDER']),
    t('CONSTRUCTION-PERMIT', [
      'LAND-ALLOCATION',
      'WORKS-PLANNING-PERMIT',
      'DRAWING-REVIEW',
      'FIRE-DESIGN',
      'TENDER',
      'QUALITY-SUPERVISION',
      'EIA',
      'SOIL-WATER',
      'FLOOD-IMPACT',
    ]),
    t('ROAD-EXCAVATION'),
    t('GREEN-SPACE', ['CONSTRUCTION-PERMIT']),
    t('CONSTRUCTION-WASTE', ['CONSTRUCTION-PERMIT']),
    t('NIGHT-WORKS', ['CONSTRUCTION-PERMIT']),
    // Utilities: applied for once stage 2 opens, connected before joint acceptance.
    ...UTILITIES.map((code) => t(code, ['LAND-USE-PLANNING-PERMIT'])),
    // Stage 4: the separate acceptances follow construction (the permit stands in for "works done").
    t('PLANNING-VERIFICATION', ['CONSTRUCTION-PERMIT']),
    t('LAND-VERIFICATION', ['CONSTRUCTION-PERMIT']),
    t('FIRE-ACCEPTANCE', ['FIRE-DESIGN', 'CONSTRUCTION-PERMIT']),
    t('CIVIL-DEFENCE-ACCEPTANCE', ['CIVIL-DEFENCE', 'CONSTRUCTION-PERMIT']),
    t('ARCHIVES-ACCEPTANCE', ['CONSTRUCTION-PERMIT']),
    t('JOINT-ACCEPTANCE', [
      'PLANNING-VERIFICATION',
      'LAND-VERIFICATION',
      'FIRE-ACCEPTANCE',
      'CIVIL-DEFENCE-ACCEPTANCE',
      'ARCHIVES-ACCEPTANCE',
      ...UTILITIES,
      ...SITE_PERMITS,
    ]),
    // A large hospital discharges medical wastewater: permit before discharge, then self-acceptance.
    t('DISCHARGE-PERMIT', ['EIA', 'CONSTRUCTION-PERMIT']),
    t('ENV-SELF-ACCEPTANCE', ['EIA', 'DISCHARGE-PERMIT']),
    t('SOIL-WATER-ACCEPTANCE', ['SOIL-WATER', 'CONSTRUCTION-PERMIT']),
    t('COMPLETION-FILING', ['JOINT-ACCEPTANCE', 'ENV-SELF-ACCEPTANCE', 'SOIL-WATER-ACCEPTANCE']),
    t('REAL-ESTATE-REGISTRATION'),
  ],
};

/**
 * Social-investment industrial project on land bought at sale (出让), without 带方案出让, so the design
 * scheme is reviewed (the enterprise-investment chain). Filing (same day) → land pre-exam → land contract → land-use
 * planning permit → design scheme → works planning permit → drawing review → construction permit; energy,
 * EIA (short form), soil-and-water, water abstraction, hazardous-chemicals safety and occupational health
 * run alongside and must finish before the permit. Land conversion is the government's work before the
 * parcel is listed, so it is not on the owner's plan. No tendering: private industrial works are outside
 * the must-tender scope. Joint acceptance on the social-investment limit (5 WD, Xixian [SRC]); the sink is
 * the completion filing.
 */
export const socialIndustrialTemplate: TemplateInput = {
  id: 'social-industrial',
  nameZh: '社会投资工业项目（出让用地，非带方案出让）',
  nameEn: 'Social-investment industrial project (land sale, scheme not fixed at sale)',
  category: 'social',
  items: [
    t('ENTERPRISE-FILING'),
    t('LAND-PREEXAM', ['ENTERPRISE-FILING']),
    t('ENERGY-REVIEW', ['ENTERPRISE-FILING']),
    t('EIA-FORM', ['ENTERPRISE-FILING']),
    t('SOIL-WATER', ['ENTERPRISE-FILING']),
    t('WATER-ABSTRACTION', ['ENTERPRISE-FILING']),
    t('HAZCHEM-SAFETY-CONDITIONS', ['ENTERPRISE-FILING']),
    t('HAZCHEM-SAFETY-DESIGN'),
    t('OCCUPATIONAL-HEALTH', ['ENTERPRISE-FILING']),
    t('LAND-SALE', ['LAND-PREEXAM']),
    t('LAND-USE-PLANNING-PERMIT', ['LAND-SALE']),
    t('DESIGN-SCHEME'),
    // Office or dormitory buildings on an industrial site: build the shelter or pay for one elsewhere.
    t('CIVIL-DEFENCE'),
    t('WORKS-PLANNING-PERMIT', ['LAND-USE-PLANNING-PERMIT', 'DESIGN-SCHEME', 'CIVIL-DEFENCE']),
    // Medium-sized works: the drawing-review ceiling is 10 WD, not the 15 WD of large ones.
    t('DRAWING-REVIEW', undefined, wd(10)),
    t('CONSTRUCTION-PERMIT', [
      'LAND-SALE',
      'WORKS-PLANNING-PERMIT',
      'DRAWING-REVIEW',
      'ENERGY-REVIEW',
      'EIA-FORM',
      'SOIL-WATER',
      'WATER-ABSTRACTION',
      'HAZCHEM-SAFETY-DESIGN',
      'OCCUPATIONAL-HEALTH',
    ]),
    t('ROAD-EXCAVATION'),
    t('GREEN-SPACE', ['CONSTRUCTION-PERMIT']),
    t('HIGHWAY-WORKS', ['WORKS-PLANNING-PERMIT']),
    t('CONSTRUCTION-WASTE', ['CONSTRUCTION-PERMIT']),
    t('NIGHT-WORKS', ['CONSTRUCTION-PERMIT']),
    ...UTILITIES.map((code) => t(code, ['LAND-USE-PLANNING-PERMIT'])),
    t('PLANNING-VERIFICATION', ['CONSTRUCTION-PERMIT'], wd(5)),
    t('LAND-VERIFICATION', ['CONSTRUCTION-PERMIT'], wd(5)),
    // An ordinary plant is not a special construction project: fire acceptance is a filing with spot checks.
    t('FIRE-FILING', ['CONSTRUCTION-PERMIT']),
    t('ARCHIVES-ACCEPTANCE', ['CONSTRUCTION-PERMIT'], wd(5)),
    t(
      'JOINT-ACCEPTANCE',
      [
        'PLANNING-VERIFICATION',
        'LAND-VERIFICATION',
        'FIRE-FILING',
        'ARCHIVES-ACCEPTANCE',
        ...UTILITIES,
        ...SITE_PERMITS,
        'HIGHWAY-WORKS',
      ],
      { days: 5, dayType: 'working', estimate: false },
    ),
    t('DISCHARGE-PERMIT', ['EIA-FORM', 'CONSTRUCTION-PERMIT']),
    t('ENV-SELF-ACCEPTANCE', ['EIA-FORM', 'DISCHARGE-PERMIT']),
    t('SOIL-WATER-ACCEPTANCE', ['SOIL-WATER', 'CONSTRUCTION-PERMIT']),
    t('COMPLETION-FILING', ['JOINT-ACCEPTANCE', 'ENV-SELF-ACCEPTANCE', 'SOIL-WATER-ACCEPTANCE']),
  ],
};

export const shippedTemplates: TemplateInput[] = [govBuildingTemplate, socialIndustrialTemplate];
