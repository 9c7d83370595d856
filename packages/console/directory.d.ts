/** The folder of the built console (index.html and its assets). */
export declare const directory: string
