// The reference's "Uploading files for signing" (form-data) TypeScript example, as printed, made runnable
// JavaScript by stripping only its type annotations: `: string`, `: Record<string, string>`, `: FormData`,
// `as HTMLInputElement`. No other mends.
const url = "https://dev.b-key.kz/api/v1/session/documents/upload/";
const headers = {
"x-api-key": "API_KEY"
};
const formData = new FormData();
formData.append("session_id", "<session_id>");
formData.append("name", "example_file.pdf");
// Assume a file input in the DOM or file blob
const fileInput = document.querySelector('input[type="file"]');
if (fileInput.files && fileInput.files[0]) {
formData.append("file", fileInput.files[0]);
}
fetch(url, {
method: "POST",
headers: headers,
body: formData
})
.then(response => {
if (!response.ok) {
throw new Error(`HTTP error! status: ${response.status}`);
}
return response.json();
})
.then(result => console.log("File uploaded successfully:", result))
.catch(error => console.error("Error:", error));
