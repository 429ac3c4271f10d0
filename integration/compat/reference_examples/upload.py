import requests
import json
url = "https://dev.b-key.kz/api/v1/session/documents/upload/"
headers = {
"x-api-key": "API_KEY"
}
files = {
"session_id": ("<session_id>"),
"name": ("example_file.pdf"),
"file": open("path/to/example_file.pdf", "rb")
}
response = requests.post(url, headers=headers, files=files)
if response.status_code == 200:
    print("File uploaded successfully:", response.json())
else:
    print("Error:", response.status_code, response.text)
