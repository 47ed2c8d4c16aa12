// Chart.js with every part the screens draw (the asset page's line chart, the
// dashboard's lines and bars), registered once. The build splits it into one shared
// chunk: the dashboard imports it, the workspace loads it only on a page with a chart.
import {
  Chart, BarController, BarElement, LineController, LineElement, PointElement,
  LinearScale, CategoryScale, Legend, Tooltip,
} from "chart.js";

Chart.register(
  BarController, BarElement, LineController, LineElement, PointElement,
  LinearScale, CategoryScale, Legend, Tooltip,
);

export { Chart };
