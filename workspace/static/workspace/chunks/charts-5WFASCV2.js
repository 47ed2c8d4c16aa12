import{a}from"./chunk-4RDZXAFF.js";import"./chunk-IHRIUEAN.js";export{a as Chart};
