import requests
import json
url = "https://dev.b-key.kz/api/v1/session/create/"
headers = {
"Content-Type": "application/json",
"x-api-key": "API_KEY"
}
data = {
"iin": "<subjects_iin>",
"phone": "7*********",
"document_type": "pdf"
}
response = requests.post(url, json=data, headers=headers)
print(response.json())
