// The overview's charts, drawn by Apache ECharts (the charting library of Chinese public-sector
// dashboards), bundled into the pages so nothing is fetched. Under the station's content security
// policy (no inline style or script): the SVG renderer sets styles through the CSSOM, which the
// policy allows, and adds an inline <style> element only for animations, which are off.

import { BarChart } from "echarts/charts";
import { GridComponent } from "echarts/components";
import * as echarts from "echarts/core";
import { SVGRenderer } from "echarts/renderers";
import { el } from "./dom";

echarts.use([BarChart, GridComponent, SVGRenderer]);

/** The bars' colour (the pages' blue), also how a test finds the bars drawn. */
export const BAR_COLOUR = "#1f4e79";

const WIDTH = 520;
const HEIGHT = 220;

/** The charts drawn on the page now, disposed before the page is drawn again. */
let drawn: echarts.ECharts[] = [];

/** Disposes the charts of the previous drawing (their listeners and DOM). */
export function disposeCharts(): void {
  for (const chart of drawn) chart.dispose();
  drawn = [];
}

/** A bar chart of `items` ([label, value]), values above the bars: a container the chart draws into
 * at once, in a size of its own (it need not be on the page yet). */
export function bars(
  items: [string, number][],
  { max, suffix = "", label }: { max?: number; suffix?: string; label: string },
): HTMLElement {
  const container = el("div", { class: "chart", role: "img", "aria-label": label });
  const chart = echarts.init(container, null, { renderer: "svg", width: WIDTH, height: HEIGHT });
  chart.setOption({
    animation: false,
    grid: { left: 8, right: 8, top: 24, bottom: 8, containLabel: true },
    xAxis: {
      type: "category",
      data: items.map(([name]) => name),
      axisTick: { show: false },
      axisLabel: { interval: 0, color: "#5b6570", fontSize: 11 },
    },
    yAxis: { type: "value", max, show: false },
    series: [
      {
        type: "bar",
        data: items.map(([, value]) => value),
        // A bar for every item, a zero too, as the figures beside the chart count them.
        barMinHeight: 1,
        itemStyle: { color: BAR_COLOUR },
        label: { show: true, position: "top", formatter: `{c}${suffix}`, color: "#111", fontSize: 12 },
      },
    ],
  });
  drawn.push(chart);
  return container;
}
