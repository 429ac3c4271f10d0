// The reference's "Downloading the result" (ZIP) TypeScript example, as printed, made runnable JavaScript by
// stripping only its type annotations: `: string`, `: Record<string, string>`, `: URLSearchParams`.
// Mends (printing typo): `"x-api-key": "API_KEY".` -> `"x-api-key": "API_KEY"`.
const url = "https://dev.b-key.kz/api/v1/session/result/download/";
const headers = {
"x-api-key": "API_KEY"
};
const params = new URLSearchParams({
session_id: "<session_id>"
});
fetch(`${url}?${params.toString()}`, {
method: "GET",
headers: headers
})
.then(response => response.blob())
.then(blob => {
const link = document.createElement("a");
link.href = URL.createObjectURL(blob);
link.download = "documents.zip";
link.click();
})
.catch(error => console.error("Error:", error));
