"""The gallery benchmark's server side: settings and a URLconf that add one route,
the minimal view that is the framework's ceiling. Never used outside bench/."""
