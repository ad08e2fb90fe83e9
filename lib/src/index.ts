// tsdl — the public entry. Notebooks and users import everything from here:
//   import { tf, init, plot } from "tsdl";
export * from "./profile";
export * from "./report";
export * from "./backend";
export * from "./display";
export * from "./data";
export * from "./plot";
export * from "./nn";
export * from "./optim";
export * from "./train";
export * from "./log";
export * from "./tune";
export * from "./explore";
